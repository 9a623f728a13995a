#Requires -Version 7.4
<#
.SYNOPSIS
    Installs the NBD clients the export tests drive (tests/Pester/Export.Tests.ps1), from Debian's packages:
    libnbd-bin (nbdinfo, nbdcopy), python3-libnbd (nbdsh and libnbd's Python binding) and qemu-utils (qemu-img); and
    rsync, one of the copy tools ReplicaCopyTests checks against a replica directory.
.DESCRIPTION
    Installs only what is missing, and only as root on a system with apt-get: one 'apt-get update', then
    'apt-get install -y --no-install-recommends <packages>'. Elsewhere it says what is missing and leaves it to the
    user (the tests then fail naming the tool). Called by build.ps1 -Task Test.
#>
[CmdletBinding()]
param()

$ErrorActionPreference = 'Stop'

# Each package with a file that proves it is installed.
$packages = [ordered]@{
    'libnbd-bin'     = 'nbdcopy'
    'python3-libnbd' = '/usr/lib/python3/dist-packages/nbd.py'
    'qemu-utils'     = 'qemu-img'
    'rsync'          = 'rsync'
}

function Test-Installed([string] $Probe) {
    if ($Probe.StartsWith('/')) { return Test-Path -LiteralPath $Probe }
    return [bool](Get-Command $Probe -CommandType Application -ErrorAction Ignore)
}

$missing = @($packages.Keys | Where-Object { -not (Test-Installed $packages[$_]) })
if ($missing.Count -eq 0) {
    Write-Host '==> NBD clients and rsync are installed (libnbd-bin, python3-libnbd, qemu-utils, rsync)'
    return
}

$isRoot = $IsLinux -and ((& id -u) -eq '0')
if (-not $isRoot -or -not (Get-Command apt-get -ErrorAction Ignore)) {
    Write-Warning "NBD clients missing: $($missing -join ', '). Install them (as root: apt-get install -y --no-install-recommends $($missing -join ' ')); the export tests need them."
    return
}

Write-Host "==> apt-get install $($missing -join ' ') (the NBD clients the export tests drive)"
$env:DEBIAN_FRONTEND = 'noninteractive'
& apt-get update -qq | Out-Host
if ($LASTEXITCODE -ne 0) { throw "apt-get update failed (exit code $LASTEXITCODE)." }
& apt-get install -y -qq --no-install-recommends @missing | Out-Host
if ($LASTEXITCODE -ne 0) { throw "apt-get install $($missing -join ' ') failed (exit code $LASTEXITCODE)." }
