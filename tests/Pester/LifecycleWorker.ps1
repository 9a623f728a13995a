# One worker of the concurrency test in Lifecycle.Tests.ps1, run in its own pwsh process: backs up (Role backup)
# or removes (Role delete) backups of one volume, round after round, and logs each outcome as a JSON line to
# its own log file (several processes appending to one file could interleave).
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [ValidateSet('backup', 'delete')] [string] $Role,
    [Parameter(Mandatory)] [int] $Id,
    [Parameter(Mandatory)] [int] $Rounds,
    [Parameter(Mandatory)] [string] $Volume,
    [Parameter(Mandatory)] [string] $Work,
    [Parameter(Mandatory)] [string] $Log
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module $Module
Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1')

function Write-Outcome([hashtable] $Entry) {
    $Entry.worker = "$Role-$Id"
    $Entry.started = $started.ToString('o')
    $Entry.ended = [DateTime]::UtcNow.ToString('o')
    Add-Content -LiteralPath $Log -Value ($Entry | ConvertTo-Json -Compress)
}

for ($round = 1; $round -le $Rounds; $round++) {
    $started = [DateTime]::UtcNow
    try {
        if ($Role -eq 'backup') {
            # Each snapshot shares the base blocks and has blocks of its own; its image is kept to check restores.
            $snapshot = "w$Id-r$round"
            $image = Join-Path $Work "$snapshot.img"
            Copy-Item -LiteralPath (Join-Path $Work 'base.img') -Destination $image
            Set-TestBlock -Path $image -Index (4 + $Id) -Seed (1000 * $Id + $round)
            Set-TestBlock -Path $image -Index ($round % 4) -Seed (5000 + 100 * $Id + $round)
            $b = New-LhBackup -VolumeName $Volume -SnapshotName $snapshot -Path $image -LockTimeout 45
            Write-Outcome @{ ok = $true; op = 'backup'; backup = $b.Name; snapshot = $snapshot }
        }
        else {
            # Alternate a retention pass and removal of the oldest finished backup.
            $removed = if ($round % 2) {
                Remove-LhBackup -VolumeName $Volume -KeepLast 2 -Force -LockTimeout 45 -PassThru
            }
            else {
                Get-LhBackup -VolumeName $Volume | Where-Object State -EQ 'Completed' | Select-Object -First 1 |
                    Remove-LhBackup -Force -LockTimeout 45 -PassThru
            }
            Write-Outcome @{ ok = $true; op = 'delete'; removed = @($removed | ForEach-Object RemovedBackups) }
        }
    }
    catch {
        Write-Outcome @{ ok = $false; op = $Role; error = "$($_.FullyQualifiedErrorId)"; message = "$($_.Exception.Message)" }
    }
}
