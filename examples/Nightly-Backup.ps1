#Requires -Version 7.4
<#
.SYNOPSIS
    A nightly backup runbook for a scheduled task: back up with labels, apply retention, verify (deeply once a week),
    keep a transcript, and exit non-zero on any failure so the scheduler can alert.
.DESCRIPTION
    Run it from cron or Task Scheduler, for example:
        pwsh -NoProfile -NonInteractive -File Nightly-Backup.ps1 -VolumeName pvc-1 -Path /dev/vg0/pvc-1-snap
    It never prompts. The backup target is the one set with Set-LhBackupTarget by the same user (or -Target).
    Exit codes: 0 = backup, retention and verification all succeeded; 1 = anything failed (details in the transcript).
.EXAMPLE
    ./Nightly-Backup.ps1 -VolumeName pvc-1 -Path ./pvc-1.img -KeepLast 14 -DeepVerifyOn Sunday
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $VolumeName,
    # The snapshot to back up: a raw image file or block device.
    [Parameter(Mandatory)] [string] $Path,
    [string] $Target = 'default',
    # The snapshot name recorded on the backup; defaults to nightly-<date>.
    [string] $SnapshotName = "nightly-$((Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss'))",
    # Backups of this job carry this label; retention counts only them.
    [string] $JobName = 'nightly',
    [ValidateRange(1, 10000)] [int] $KeepLast = 7,
    # Day of the week for the deep verification (every block read and checksummed); other days check presence only.
    [DayOfWeek] $DeepVerifyOn = [DayOfWeek]::Sunday,
    [switch] $AlwaysDeep,
    [string] $TranscriptDirectory = (Join-Path ([IO.Path]::GetTempPath()) 'LonghornBackup-logs'),
    # Seconds to wait for a conflicting operation (a deletion, or a backup when deleting) on the volume.
    [int] $LockTimeout = 900,
    [string] $ModulePath = 'LonghornBackup'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$null = New-Item -ItemType Directory -Force -Path $TranscriptDirectory
$transcript = Join-Path $TranscriptDirectory ("$VolumeName-" + (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss') + '.log')
Start-Transcript -LiteralPath $transcript | Out-Null
$failed = $false
try {
    Import-Module $ModulePath
    $labels = @{ RecurringJob = $JobName }

    Write-Output "Backing up $VolumeName ($Path) as snapshot $SnapshotName"
    $backup = New-LhBackup -Target $Target -VolumeName $VolumeName -SnapshotName $SnapshotName -Path $Path -Label $labels -LockTimeout $LockTimeout
    Write-Output ("Backup {0}: {1} bytes new to the store, {2} re-uploaded" -f $backup.Name, $backup.NewlyUploadedDataSize, $backup.ReUploadedDataSize)

    Write-Output "Retention: keeping the $KeepLast newest '$JobName' backups of $VolumeName"
    $removal = Remove-LhBackup -Target $Target -VolumeName $VolumeName -KeepLast $KeepLast -Label $labels -Force -LockTimeout $LockTimeout -PassThru
    foreach ($r in $removal) { Write-Output ("Removed {0} backups, freed {1} blocks" -f @($r.RemovedBackups).Count, $r.BlocksFreed) }

    $deep = $AlwaysDeep -or (Get-Date).DayOfWeek -eq $DeepVerifyOn
    Write-Output ("Verifying $VolumeName ({0})" -f $(if ($deep) { 'deep: every block read and checksummed' } else { 'quick: every block present' }))
    $results = Test-LhBackup -Target $Target -VolumeName $VolumeName -Deep:$deep -LockTimeout $LockTimeout -ErrorAction SilentlyContinue -ErrorVariable verifyErrors
    $broken = @($results | Where-Object { -not $_.IsHealthy })
    if ($broken.Count -gt 0 -or $verifyErrors.Count -gt 0) {
        $failed = $true
        $broken | Format-Table Name, VolumeName, State, MissingBlocks, CorruptBlocks -AutoSize | Out-String | Write-Output
        Write-Error "Verification found $($broken.Count) broken backup(s) of $VolumeName." -ErrorAction Continue
    }
    else {
        Write-Output "All $(@($results).Count) backups of $VolumeName are healthy."
    }
}
catch {
    $failed = $true
    Write-Error -ErrorRecord $_ -ErrorAction Continue
}
finally {
    Stop-Transcript | Out-Null
}
if ($failed) { exit 1 }
exit 0
