# The module surface as a user gets it: the staged module folder, imported in a fresh pwsh.
# Run through build.ps1 -Task Test (or tests/Pester/Invoke-PesterSuite.ps1), which sets
# $env:LONGHORNBACKUP_TEST_MODULE to the staged out/LonghornBackup/LonghornBackup.psd1.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifestData = Read-ModuleManifest $env:LONGHORNBACKUP_TEST_MODULE
    $exportedCmdlets = @($manifestData.CmdletsToExport)
}

BeforeAll {
    $manifestPath = $env:LONGHORNBACKUP_TEST_MODULE
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $manifestData = Read-ModuleManifest $manifestPath
    $moduleDir = Split-Path -Parent $manifestPath
    $repoRoot = Resolve-Path (Join-Path $PSScriptRoot '../..')
    $propsVersion = ([xml](Get-Content -Raw -LiteralPath (Join-Path $repoRoot 'Directory.Build.props'))).Project.PropertyGroup.Version |
        Where-Object { $_ } | Select-Object -First 1

    Import-Module $manifestPath -Force
    $module = Get-Module LonghornBackup
}

AfterAll {
    Remove-Module LonghornBackup -Force -ErrorAction SilentlyContinue
}

Describe 'LonghornBackup module manifest' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $manifestPath -ErrorAction Stop } | Should -Not -Throw
    }

    It 'has the version from Directory.Build.props' {
        $propsVersion | Should -Not -BeNullOrEmpty
        (Test-ModuleManifest -Path $manifestPath).Version.ToString() | Should -Be $propsVersion
    }

    It 'is the staged module that was imported' {
        $module | Should -Not -BeNullOrEmpty
        $module.Version.ToString() | Should -Be $propsVersion
        $module.ModuleBase | Should -Be $moduleDir
    }

    It 'runs on PowerShell 7 (Core) and Windows PowerShell 5.1 (Desktop)' {
        $manifestData.CompatiblePSEditions | Should -Be @('Core', 'Desktop')
        $manifestData.PowerShellVersion | Should -Be '5.1'
    }

    It 'ships no PowerShell host assembly of its own' {
        Get-ChildItem -LiteralPath $moduleDir -Recurse -File -Filter 'System.Management.Automation.dll' |
            Should -BeNullOrEmpty
    }

    It 'ships no markdown help sources' {
        Get-ChildItem -LiteralPath $moduleDir -Recurse -File -Filter '*.md' | Should -BeNullOrEmpty
    }
}

Describe 'LonghornBackup exported commands' {
    It 'Get-Command -Module LonghornBackup lists exactly the manifest CmdletsToExport' {
        $actual = @(Get-Command -Module LonghornBackup | ForEach-Object Name | Sort-Object)
        $expected = @($manifestData.CmdletsToExport | Sort-Object)
        $actual | Should -Be $expected
    }

    It 'exports no functions, aliases or variables' {
        $module.ExportedFunctions.Count | Should -Be 0
        $module.ExportedAliases.Count | Should -Be 0
        $module.ExportedVariables.Count | Should -Be 0
    }

    It '<_> is a compiled cmdlet from LonghornBackup.dll' -ForEach $exportedCmdlets {
        $cmd = Get-Command -Name $_ -Module LonghornBackup -ErrorAction Stop
        $cmd.CommandType | Should -Be 'Cmdlet'
        $cmd.ImplementingType.Assembly.GetName().Name | Should -Be 'LonghornBackup'
        $cmd.Parameters.Keys | Should -Contain 'ErrorAction'   # common parameters, i.e. CmdletBinding
    }
}
