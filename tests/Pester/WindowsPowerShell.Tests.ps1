# The Windows PowerShell 5.1 build: bin/net472, chosen by the manifest on the Desktop edition, with every dependency
# in its own deps/ folder. Windows PowerShell itself cannot run here; PowerShell 7 can load .NET Framework
# assemblies, so the net472 build is imported into a fresh pwsh to prove its loader, its cmdlets and its engine.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:moduleDir = Split-Path -Parent $env:LONGHORNBACKUP_TEST_MODULE
    $script:frameworkDll = Join-Path $moduleDir 'bin/net472/LonghornBackup.dll'
    $script:frameworkDeps = Join-Path $moduleDir 'bin/net472/deps'
    $script:packages = $env:LONGHORNBACKUP_NUGET_PACKAGES
    if (-not $packages) { $packages = Join-Path $HOME '.nuget/packages' }
    $script:fixtureStore = Join-Path $PSScriptRoot '../fixtures/longhorn-backupstore'

    # Assembly references of a .NET assembly, read from its metadata without loading it.
    function Get-AssemblyReference([string] $Path) {
        $stream = [IO.File]::OpenRead($Path)
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            foreach ($h in $md.AssemblyReferences) {
                $r = $md.GetAssemblyReference($h)
                [pscustomobject]@{ Name = $md.GetString($r.Name); Version = $r.Version }
            }
        }
        finally { $stream.Dispose() }
    }

    function Get-TargetFramework([string] $Path) {
        $text = [Text.Encoding]::ASCII.GetString([IO.File]::ReadAllBytes($Path))
        if ($text -match '\.NET(Framework|CoreApp),Version=v[0-9.]+') { $Matches[0] }
    }
}

Describe 'Windows PowerShell 5.1 build' {
    It 'the manifest admits both editions and names .NET Framework 4.7.2' {
        $data = Test-ModuleManifest -Path $env:LONGHORNBACKUP_TEST_MODULE
        $data.CompatiblePSEditions | Sort-Object | Should -Be @('Core', 'Desktop')
        $data.PowerShellVersion | Should -Be '5.1'
        $data.DotNetFrameworkVersion | Should -Be '4.7.2'
    }

    It 'the manifest loads bin/net472 on Windows PowerShell and bin/net8.0 on PowerShell 7' {
        (Read-ModuleManifest $env:LONGHORNBACKUP_TEST_MODULE -Edition Desktop).RootModule | Should -Be 'bin/net472/LonghornBackup.dll'
        (Read-ModuleManifest $env:LONGHORNBACKUP_TEST_MODULE -Edition Core).RootModule | Should -Be 'bin/net8.0/LonghornBackup.dll'
        Get-TargetFramework (Join-Path $moduleDir ((Read-ModuleManifest $env:LONGHORNBACKUP_TEST_MODULE -Edition Desktop).RootModule)) | Should -Be '.NETFramework,Version=v4.7.2'
        Get-TargetFramework (Join-Path $moduleDir ((Read-ModuleManifest $env:LONGHORNBACKUP_TEST_MODULE -Edition Core).RootModule)) | Should -Be '.NETCoreApp,Version=v8.0'
        Get-TargetFramework (Join-Path $frameworkDeps 'LonghornBackup.Engine.dll') | Should -Be '.NETFramework,Version=v4.7.2'
    }

    It 'ships every assembly the .NET Framework build references that .NET Framework 4.7.2 lacks, at that version or newer' {
        $reference = Join-Path $packages 'microsoft.netframework.referenceassemblies.net472/1.0.3/build/.NETFramework/v4.7.2'
        Test-Path -LiteralPath $reference | Should -BeTrue -Because 'the build restores the .NET Framework reference assemblies'
        $framework = @(Get-ChildItem -LiteralPath $reference, (Join-Path $reference 'Facades') -Filter '*.dll' | ForEach-Object BaseName)
        $shipped = @{}
        Get-ChildItem -LiteralPath $frameworkDeps -Filter '*.dll' | ForEach-Object {
            $shipped[$_.BaseName] = [Reflection.AssemblyName]::GetAssemblyName($_.FullName).Version
        }
        $missing = foreach ($dll in @(Get-Item $frameworkDll) + @(Get-ChildItem -LiteralPath $frameworkDeps -Filter '*.dll')) {
            foreach ($ref in Get-AssemblyReference $dll.FullName) {
                if ($ref.Name -in $framework -or $ref.Name -eq 'System.Management.Automation') { continue }
                if (-not $shipped.ContainsKey($ref.Name)) { "$($dll.Name) -> $($ref.Name) $($ref.Version) (not shipped)" }
                elseif ($shipped[$ref.Name] -lt $ref.Version) { "$($dll.Name) -> $($ref.Name) $($ref.Version) (ships $($shipped[$ref.Name]))" }
            }
        }
        $missing | Should -BeNullOrEmpty
        $shipped.Keys | Should -Contain 'AWSSDK.Core'
        $shipped.Keys | Should -Contain 'YamlDotNet'
    }

    It 'imports, resolves its engine from deps/ and reads a store Longhorn wrote' {
        $work = New-TestFolder 'lh-desktop'
        $result = Invoke-FreshSession @"
`$ErrorActionPreference = 'Stop'
`$env:LONGHORNBACKUP_CONFIG_DIR = '$work/config'
Import-Module '$frameworkDll'
`$commands = @(Get-Command -Module LonghornBackup).Count
`$notSet = try { New-LhBackup -VolumeName v1 -SnapshotName s1 -Path '$work/none.img'; '' } catch { `$_.FullyQualifiedErrorId }
Set-LhBackupTarget -Url '$fixtureStore' | Out-Null
`$volumes = @(Get-LhBackupVolume)
`$backups = @(Get-LhBackup)
`$yaml = `$backups[0] | ConvertTo-LhManifest
`$engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'LonghornBackup.Engine' }
[pscustomobject]@{
    Commands = `$commands
    NotSet = `$notSet
    Volumes = `$volumes.Count
    Backups = `$backups.Count
    Yaml = `$yaml -match 'apiVersion: longhorn.io/v1beta2'
    EngineFrom = `$engine.Location
} | ConvertTo-Json -Compress
"@
        $expected = Get-Content -Raw (Join-Path $fixtureStore 'list-inspect.json') | ConvertFrom-Json -AsHashtable
        $result.Commands | Should -Be 17
        $result.NotSet | Should -BeLike 'BackupTargetNotSet,*'
        $result.Volumes | Should -Be $expected.Count
        $result.Backups | Should -Be (($expected.Values | ForEach-Object { $_.Backups.Count } | Measure-Object -Sum).Sum)
        $result.Yaml | Should -BeTrue
        $result.EngineFrom | Should -Be (Join-Path $frameworkDeps 'LonghornBackup.Engine.dll')
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }

    It 'warns at import when another module already loaded an older AWSSDK.Core of the same identity' {
        $foreign = Join-Path $packages 'awssdk.core/4.0.3.3/lib/netstandard2.0/AWSSDK.Core.dll'
        Test-Path -LiteralPath $foreign | Should -BeTrue -Because 'tools/tools.proj downloads it'
        [Reflection.AssemblyName]::GetAssemblyName($foreign).Version |
            Should -Be ([Reflection.AssemblyName]::GetAssemblyName((Join-Path $frameworkDeps 'AWSSDK.Core.dll')).Version)
        $lines = @(Invoke-FreshSessionText @"
Add-Type -Path '$foreign'
Import-Module '$frameworkDll'
'imported'
"@)
        $warning = $lines | Where-Object { $_ -like 'WARNING:*AWSSDK.Core 4.0.3.3 is already loaded*' }
        $warning | Should -Not -BeNullOrEmpty -Because ($lines -join "`n")
        $warning | Should -BeLike '*Import LonghornBackup before that module*'
        $lines[-1] | Should -Be 'imported'
    }

    It 'does not warn when nothing conflicts' {
        $lines = @(Invoke-FreshSessionText @"
Import-Module '$frameworkDll'
'imported'
"@)
        $lines | Where-Object { $_ -like 'WARNING:*' } | Should -BeNullOrEmpty
        $lines[-1] | Should -Be 'imported'
    }
}
