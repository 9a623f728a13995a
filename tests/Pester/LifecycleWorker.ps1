# One worker of the concurrency test in Lifecycle.Tests.ps1, run in its own pwsh process: backs up (Role backup)
# or removes (Role delete) backups of one volume, round after round, and logs each outcome as a JSON line to
# its own log file (several processes appending to one file could interleave).
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [ValidateSet('backup', 'delete')] [string] $Role,
    [Parameter(Mandatory)] [int] $Id,
    [Parameter(Mandatory)] [int] $Rounds,
    [Parameter(Mandatory)] [int] $Workers,
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

# Start together: each worker says it is ready and waits until all are, so a process slow to start on a busy machine
# does not find the others' rounds over. Not a time window: the deadline only keeps a worker whose peers never
# start from waiting for ever.
$ready = Join-Path $Work 'ready'
$null = New-Item -ItemType Directory -Path $ready -Force
$null = New-Item -ItemType File -Path (Join-Path $ready "$Role-$Id")
$deadline = [DateTime]::UtcNow.AddMinutes(5)
while (@(Get-ChildItem -LiteralPath $ready -File).Count -lt $Workers) {
    if ([DateTime]::UtcNow -gt $deadline) { throw "Only $(@(Get-ChildItem -LiteralPath $ready -File).Count) of $Workers workers started." }
    Start-Sleep -Milliseconds 20
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
            $b = New-LhBackup -VolumeName $Volume -SnapshotName $snapshot -Path $image -LockTimeout 300
            Write-Outcome @{ ok = $true; op = 'backup'; backup = $b.Name; snapshot = $snapshot }
        }
        else {
            # Alternate a retention pass and removal of the oldest finished backup. The lock timeouts are only bounds:
            # on a busy machine a deletion may wait for several backups in turn.
            $removed = if ($round % 2) {
                Remove-LhBackup -VolumeName $Volume -KeepLast 2 -Force -LockTimeout 300 -PassThru
            }
            else {
                Get-LhBackup -VolumeName $Volume | Where-Object State -EQ 'Completed' | Select-Object -First 1 |
                    Remove-LhBackup -Force -LockTimeout 300 -PassThru
            }
            Write-Outcome @{ ok = $true; op = 'delete'; removed = @($removed | ForEach-Object RemovedBackups) }
        }
    }
    catch {
        Write-Outcome @{ ok = $false; op = $Role; error = "$($_.FullyQualifiedErrorId)"; message = "$($_.Exception.Message)" }
    }
}
