#Requires -Version 7.4

<#
.SYNOPSIS
    A nightly backup runbook for a scheduled task: back up with labels, apply retention, verify (deeply once a week),
    keep a transcript, and exit non-zero on any failure so the scheduler can alert.
.DESCRIPTION
    Backs up the snapshot at -Path as a new backup of -VolumeName on the backup target, labelled RecurringJob=<JobName>;
    removes that job's backups beyond the newest -KeepLast (with -Force: it never prompts); then checks every backup of
    the volume: on -DeepVerifyOn (Sunday) every block is read and checksummed, on other days every block must be
    present. Everything it does goes to a transcript in -TranscriptDirectory, one file per run.

    Run it from cron or Task Scheduler with a pwsh that never waits for input:
        pwsh -NoProfile -NonInteractive -File Nightly-Backup.ps1 -VolumeName pvc-1 -Path /dev/vg0/pvc-1-snap

    The module is imported by name (install it with build.ps1 -Task Install, or Install-PSResource from a repository
    holding the package that build.ps1 -Task Package makes). Run from a clone where it is not installed, it imports the
    build in out/LonghornBackup instead; -ModulePath names another manifest. The backup target is the one set with
    Set-LhBackupTarget by the same user ($env:LONGHORNBACKUP_CONFIG_DIR), or -Target.
.PARAMETER VolumeName
    The backup volume to back up into (created by its first backup). Longhorn's name rules: lower-case letters, digits,
    '_', '.' and '-'.
.PARAMETER Path
    The snapshot to back up: a raw image file or a block device (for example an LVM snapshot).
.PARAMETER Target
    The name of the backup target set with Set-LhBackupTarget; 'default' when not given.
.PARAMETER SnapshotName
    The snapshot name recorded on the backup; nightly-<UTC date and time> when not given.
.PARAMETER JobName
    The job's label value: backups carry the label RecurringJob=<JobName>, and retention counts and removes only those,
    so other jobs' and hand-made backups of the volume are never removed. Default 'nightly'.
.PARAMETER KeepLast
    How many of this job's newest backups to keep (1 to 10000, default 7); older ones are removed and the blocks no other
    backup uses are freed.
.PARAMETER DeepVerifyOn
    The day of the week for the deep verification (every block read, decompressed and checksummed); other days check
    that every block is present. Default Sunday.
.PARAMETER AlwaysDeep
    Verify deeply on every run.
.PARAMETER TranscriptDirectory
    Where the transcript of each run goes (<volume>-<UTC date and time>.log); created if missing. Default
    LonghornBackup-logs in the temporary folder.
.PARAMETER LockTimeout
    Seconds to wait when another operation (a deletion, or a backup when deleting) holds the volume through Longhorn's
    lock files. Default 900.
.PARAMETER ModulePath
    What to import: the module name 'LonghornBackup' (default: the installed module) or the path of a manifest, such
    as out/LonghornBackup/LonghornBackup.psd1 of a build.
.EXAMPLE
    pwsh -NoProfile -NonInteractive -File ./Nightly-Backup.ps1 -VolumeName pvc-1 -Path /dev/vg0/pvc-1-snap -KeepLast 14

    A cron line's command: backs up pvc-1, keeps its 14 newest nightly backups, verifies; exit code 0 or 1.
.EXAMPLE
    ./Nightly-Backup.ps1 -VolumeName pvc-1 -Path ./pvc-1.img -Target offsite -JobName weekly -KeepLast 4 -AlwaysDeep

    A weekly job to another target with its own retention, verified deeply every time.
.EXAMPLE
    ./Nightly-Backup.ps1 -VolumeName pvc-1 -Path ./pvc-1.img -ModulePath ./out/LonghornBackup/LonghornBackup.psd1

    Runs against a build that is not installed.
.NOTES
    Exit codes (pwsh -File passes the script's exit code to the scheduler):
        0  the backup, the retention and the verification all succeeded.
        1  anything failed: a cmdlet's error (the target is unreachable, the snapshot is unreadable, a lock is held
           longer than -LockTimeout, ...), or the verification found a backup that cannot be restored. The error is on
           standard error and in the transcript.
    PowerShell itself also exits 1 when the script cannot start (a missing mandatory parameter under -NonInteractive,
    its #Requires line not met). The script sets $ErrorActionPreference = 'Stop', so a failing cmdlet ends the run (and
    pwsh exits 1) instead of letting it go on and exit 0; the error is reported once, as that cmdlet's error
    ("New-LhBackup: ..."), not caught and written again. With its output redirected to a log (cron, > file 2>&1) the
    script writes plain text: no colour escape sequences.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $VolumeName,
    [Parameter(Mandatory)] [string] $Path,
    [string] $Target = 'default',
    [string] $SnapshotName = "nightly-$((Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss'))",
    [string] $JobName = 'nightly',
    [ValidateRange(1, 10000)] [int] $KeepLast = 7,
    [DayOfWeek] $DeepVerifyOn = [DayOfWeek]::Sunday,
    [switch] $AlwaysDeep,
    [string] $TranscriptDirectory = (Join-Path ([IO.Path]::GetTempPath()) 'LonghornBackup-logs'),
    [int] $LockTimeout = 900,
    [string] $ModulePath = 'LonghornBackup'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
# PowerShell colours warnings and errors even when they go to a file; a log read later wants plain text.
if ([Console]::IsOutputRedirected -or [Console]::IsErrorRedirected) { $PSStyle.OutputRendering = 'PlainText' }
$null = New-Item -ItemType Directory -Force -Path $TranscriptDirectory
$transcript = Join-Path $TranscriptDirectory ("$VolumeName-" + (Get-Date).ToUniversalTime().ToString('yyyyMMdd-HHmmss') + '.log')
Start-Transcript -LiteralPath $transcript | Out-Null
# No catch: a cmdlet's error under 'Stop' ends the script as that cmdlet's error, reported once, and pwsh exits 1.
try {
    # The installed module by name; in a clone where it is not installed, the build next to this script.
    $built = Join-Path $PSScriptRoot '../out/LonghornBackup/LonghornBackup.psd1'
    if ($ModulePath -eq 'LonghornBackup' -and -not (Get-Module -ListAvailable -Name LonghornBackup) -and (Test-Path -LiteralPath $built)) {
        $ModulePath = $built
    }
    Import-Module $ModulePath
    $module = Get-Module LonghornBackup
    Write-Output "LonghornBackup $($module.Version) from $($module.ModuleBase)"
    $labels = @{ RecurringJob = $JobName }

    Write-Output "Backing up $VolumeName ($Path) as snapshot $SnapshotName"
    $backup = New-LhBackup -Target $Target -VolumeName $VolumeName -SnapshotName $SnapshotName -Path $Path -Label $labels -LockTimeout $LockTimeout
    Write-Output ("Backup {0}: {1} bytes new to the store, {2} re-uploaded" -f $backup.Name, $backup.NewlyUploadedDataSize, $backup.ReUploadedDataSize)

    Write-Output "Retention: keeping the $KeepLast newest '$JobName' backups of $VolumeName"
    $removal = Remove-LhBackup -Target $Target -VolumeName $VolumeName -KeepLast $KeepLast -Label $labels -Force -LockTimeout $LockTimeout -PassThru
    foreach ($r in $removal) { Write-Output ("Removed {0} backups, freed {1} blocks" -f @($r.RemovedBackups).Count, $r.BlocksFreed) }

    $deep = $AlwaysDeep -or (Get-Date).DayOfWeek -eq $DeepVerifyOn
    Write-Output ("Verifying $VolumeName ({0})" -f $(if ($deep) { 'deep: every block read and checksummed' } else { 'quick: every block present' }))
    # Test-LhBackup's own errors (BackupVerificationFailed, one per broken backup) are written as they come.
    $results = Test-LhBackup -Target $Target -VolumeName $VolumeName -Deep:$deep -LockTimeout $LockTimeout -ErrorAction Continue -ErrorVariable verifyErrors
    $broken = @($results | Where-Object { -not $_.IsHealthy })
    if ($broken.Count -gt 0 -or $verifyErrors.Count -gt 0) {
        $broken | Format-Table Name, VolumeName, State, MissingBlocks, CorruptBlocks -AutoSize | Out-String | Write-Output
        Write-Output "Verification found $($broken.Count) broken backup(s) of $VolumeName."
        exit 1
    }
    Write-Output "All $(@($results).Count) backups of $VolumeName are healthy."
}
finally {
    Stop-Transcript | Out-Null
}
exit 0
