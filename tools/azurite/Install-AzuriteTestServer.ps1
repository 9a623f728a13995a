# Installs Azurite (npm package, pinned by package-lock.json beside this script), the Azure Blob emulator the
# Azure tests start on 127.0.0.1 (see launch.js). Called by build.ps1 -Task Test next to Install-S3TestServer;
# does nothing when node_modules is newer than the lock file.
[CmdletBinding()]
param()
$ErrorActionPreference = 'Stop'
$installed = Join-Path $PSScriptRoot 'node_modules/.package-lock.json'
$lock = Join-Path $PSScriptRoot 'package-lock.json'
if ((Test-Path -LiteralPath $installed) -and (Get-Item -Force -LiteralPath $installed).LastWriteTimeUtc -ge (Get-Item -LiteralPath $lock).LastWriteTimeUtc) {
    Write-Host '==> tools/azurite is installed'
    return
}
Write-Host '==> npm ci (tools/azurite: the Azure Blob emulator the tests run on loopback)'
Push-Location -LiteralPath $PSScriptRoot
try {
    & npm ci --no-audit --no-fund | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "npm ci in tools/azurite failed with exit code $LASTEXITCODE" }
}
finally { Pop-Location }
