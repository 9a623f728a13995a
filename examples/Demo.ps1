#Requires -Version 7.4

<#
.SYNOPSIS
    End-to-end demo: back up a sparse raw image three times (full, incremental, forced full) to a
    filesystem backupstore, list what is there, restore the first backup and check it byte for byte.
.DESCRIPTION
    Run it through the build, which stages the module first:
        dotnet tool restore && dotnet pwsh -NoProfile -File build.ps1 -Task Demo
    or directly against a staged module:
        dotnet pwsh -NoProfile -File examples/Demo.ps1 -ModulePath out/LonghornBackup/LonghornBackup.psd1
    Everything it writes goes under out/demo/, which it recreates on each run.
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/LonghornBackup/LonghornBackup.psd1'),
    [string] $DemoDir = (Join-Path $PSScriptRoot '../out/demo')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0
$ProgressPreference = 'SilentlyContinue'
$PSStyle.OutputRendering = 'PlainText'

$MiB = 1MB
$ImageSize = 64 * $MiB
$BlockSize = 2 * $MiB

# Writes $Count bytes of seeded random data at $Offset of an existing file.
function Write-RandomBlock {
    param([string] $Path, [long] $Offset, [int] $Seed, [int] $Count = $BlockSize)
    $buffer = [byte[]]::new($Count)
    [System.Random]::new($Seed).NextBytes($buffer)
    $fs = [IO.File]::Open($Path, [IO.FileMode]::Open, [IO.FileAccess]::Write)
    try {
        $null = $fs.Seek($Offset, [IO.SeekOrigin]::Begin)
        $fs.Write($buffer, 0, $buffer.Length)
    }
    finally { $fs.Dispose() }
}

function Show-Backup([object] $Backup) {
    $Backup | Format-List Name, VolumeName, SnapshotName, BackupMode, Labels, State, Url, Size,
        NewlyUploadedDataSize, ReUploadedDataSize, CompressionMethod, BlockSize, CreatedAt | Out-Host
}

# --- a clean demo folder -----------------------------------------------------------------------
$null = New-Item -ItemType Directory -Path $DemoDir -Force
$DemoDir = (Resolve-Path -LiteralPath $DemoDir).ProviderPath
$image      = Join-Path $DemoDir 'vol1.img'
$snap1Copy  = Join-Path $DemoDir 'vol1-snap-1.img'
$targetDir  = Join-Path $DemoDir 'backupstore-target'
$restored   = Join-Path $DemoDir 'restored-snap-1.img'
$configDir  = Join-Path $DemoDir 'config'
foreach ($p in $image, $snap1Copy, $targetDir, $restored, $configDir) {   # only what this demo creates
    if (Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Recurse -Force }
}
$null = New-Item -ItemType Directory -Path $targetDir, $configDir

# Keep the demo away from the user's own target configuration.
$env:LONGHORNBACKUP_CONFIG_DIR = $configDir
$env:LONGHORNBACKUP_CACHE_DIR = Join-Path $configDir 'block-cache'
Write-Host "Using LONGHORNBACKUP_CONFIG_DIR=$configDir (your own LonghornBackup targets are left untouched)."

Import-Module ([IO.Path]::GetFullPath($ModulePath)) -Force
$mod = Get-Module LonghornBackup
Write-Host "Imported $($mod.Name) $($mod.Version) from $($mod.ModuleBase)"

# --- a 64 MiB sparse image with a few 2 MiB blocks of data ---------------------------------------
$fs = [IO.File]::Create($image)
try { $fs.SetLength($ImageSize) } finally { $fs.Dispose() }
$dataBlocks = 0, 5, 13, 30            # block indexes; everything else stays a hole
foreach ($i in $dataBlocks) {
    Write-RandomBlock -Path $image -Offset ($i * $BlockSize) -Seed (1000 + $i)
}
Copy-Item -LiteralPath $image -Destination $snap1Copy
Write-Host "Created $image ($($ImageSize / $MiB) MiB, data in 2 MiB blocks $($dataBlocks -join ', '))"

# --- target, then three backups -----------------------------------------------------------------
Set-LhBackupTarget -Name default -Url $targetDir
Get-LhBackupTarget | Format-Table | Out-String -Width 200 | Out-Host

Write-Host 'Backup 1: snap-1 (first backup of the volume: every data block is new)'
$b1 = New-LhBackup -VolumeName demo-vol -SnapshotName snap-1 -Path $image -Label @{ app = 'demo' }
Show-Backup $b1

Write-RandomBlock -Path $image -Offset (5 * $BlockSize) -Seed 2005    # overwrite a data block
Write-RandomBlock -Path $image -Offset (20 * $BlockSize) -Seed 2020   # fill a hole
Write-Host 'Changed blocks 5 and 20.'

Write-Host 'Backup 2: snap-2 (incremental: only the changed blocks are uploaded)'
$b2 = New-LhBackup -VolumeName demo-vol -SnapshotName snap-2 -Path $image -Label @{ app = 'demo' }
Show-Backup $b2

Write-Host 'Backup 3: snap-3 -BackupMode Full (every block re-uploaded)'
$b3 = New-LhBackup -VolumeName demo-vol -SnapshotName snap-3 -Path $image -Label @{ app = 'demo' } -BackupMode Full
Show-Backup $b3

# --- what is in the store -----------------------------------------------------------------------
Get-LhBackupVolume | Format-Table | Out-String -Width 200 | Out-Host
Get-LhBackup -VolumeName demo-vol | Format-Table | Out-String -Width 200 | Out-Host

# --- restore the first backup and compare -------------------------------------------------------
Write-Host "Restoring snap-1 to $restored"
Get-LhBackup -VolumeName demo-vol |
    Where-Object SnapshotName -EQ 'snap-1' |
    Restore-LhBackup -Path $restored -Force | Out-Null

$expected = (Get-FileHash -LiteralPath $snap1Copy -Algorithm SHA256).Hash
$actual = if (Test-Path -LiteralPath $restored) { (Get-FileHash -LiteralPath $restored -Algorithm SHA256).Hash } else { '<missing>' }
Write-Host "snap-1 original SHA-256: $expected"
Write-Host "snap-1 restored SHA-256: $actual"
if ($actual -eq $expected) {
    Write-Host 'OK: the restored image is identical to snapshot 1.'
    exit 0
}
Write-Host 'FAIL: the restored image differs from snapshot 1.'
exit 1
