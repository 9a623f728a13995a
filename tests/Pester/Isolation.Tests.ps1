# The module's dependencies load in its own AssemblyLoadContext: another module's versions of them, loaded first,
# neither break LonghornBackup nor get broken by it. Each case runs in a fresh pwsh, as a user's session would.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:packages = $env:LONGHORNBACKUP_NUGET_PACKAGES
    if (-not $packages) { $packages = Join-Path $HOME '.nuget/packages' }
}

Describe 'Dependency isolation' {
    It 'works after another module loaded System.IO.Hashing 8, and leaves that version working' {
        $foreign = Join-Path $packages 'system.io.hashing/8.0.0/lib/net8.0/System.IO.Hashing.dll'
        Test-Path -LiteralPath $foreign | Should -BeTrue -Because 'tools/tools.proj downloads it'
        $work = New-TestFolder 'lh-isolation'
        $result = Invoke-FreshSession @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$foreign'
`$foreignVersion = [System.IO.Hashing.XxHash64].Assembly.GetName().Version.ToString()
`$env:LONGHORNBACKUP_CONFIG_DIR = '$work/config'
`$env:LONGHORNBACKUP_CACHE_DIR = '$work/cache'
Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'
Import-Module '$(Join-Path $PSScriptRoot 'TestHelpers.psm1')'
New-Item -ItemType Directory -Path '$work/target' | Out-Null
New-TestImage -Path '$work/vol.img' -SizeMiB 8 -DataBlocks 0, 2
Set-LhBackupTarget -Url '$work/target'
`$b = New-LhBackup -VolumeName iso -SnapshotName s1 -Path '$work/vol.img'
`$b | Restore-LhBackup -Path '$work/restored.img' | Out-Null
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'System.IO.Hashing' -and [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name -eq 'LonghornBackup' }
`$engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'LonghornBackup.Engine' }
[pscustomobject]@{
    ForeignVersion = `$foreignVersion
    ForeignStillWorks = [System.IO.Hashing.XxHash64]::Hash([byte[]](1, 2, 3)).Length -eq 8
    OurHashingContext = if (`$ours) { 'LonghornBackup' } else { 'none' }
    OurHashingVersion = if (`$ours) { `$ours.GetName().Version.ToString() } else { '' }
    EngineContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$engine).Name
    SameImage = (Get-FileHash '$work/vol.img').Hash -eq (Get-FileHash '$work/restored.img').Hash
} | ConvertTo-Json -Compress
"@
        $result.ForeignVersion | Should -BeLike '8.*'
        $result.ForeignStillWorks | Should -BeTrue
        $result.EngineContext | Should -Be 'LonghornBackup'
        $result.OurHashingContext | Should -Be 'LonghornBackup'
        $result.OurHashingVersion | Should -BeLike '11.*'
        $result.SameImage | Should -BeTrue
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Dependency isolation from YAML modules' {
    It 'applies a manifest after another module loaded YamlDotNet 16, and leaves that version working' {
        $foreign = Join-Path $packages 'yamldotnet/16.3.0/lib/net8.0/YamlDotNet.dll'
        Test-Path -LiteralPath $foreign | Should -BeTrue -Because 'tools/tools.proj downloads it'
        $manifest = Join-Path $PSScriptRoot 'manifests/backup-incremental.yaml'
        $work = New-TestFolder 'lh-isolation'
        $result = Invoke-FreshSession @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$foreign'
`$env:LONGHORNBACKUP_CONFIG_DIR = '$work/config'
`$env:LONGHORNBACKUP_CACHE_DIR = '$work/cache'
Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'
Import-Module '$(Join-Path $PSScriptRoot 'TestHelpers.psm1')'
New-Item -ItemType Directory -Path '$work/target' | Out-Null
New-TestImage -Path '$work/vol.img' -SizeMiB 8 -DataBlocks 0, 2
Set-LhBackupTarget -Url '$work/target'
`$b = New-LhBackup -Manifest '$manifest' -VolumeName iso -Path '$work/vol.img'
`$yaml = `$b | ConvertTo-LhManifest
`$foreignDoc = [YamlDotNet.Serialization.DeserializerBuilder]::new().Build().Deserialize[object]('a: 1')
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' -and [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name -eq 'LonghornBackup' }
[pscustomobject]@{
    ForeignVersion = [YamlDotNet.Serialization.DeserializerBuilder].Assembly.GetName().Version.ToString()
    ForeignStillWorks = `$foreignDoc['a'] -eq '1'
    OurYamlVersion = if (`$ours) { `$ours.GetName().Version.ToString() } else { '' }
    BackupName = `$b.Name
    ExportNamesIt = `$yaml -match 'name: backup-example'
} | ConvertTo-Json -Compress
"@
        $result.ForeignVersion | Should -BeLike '16.*'
        $result.ForeignStillWorks | Should -BeTrue
        $result.OurYamlVersion | Should -BeLike '18.*'
        $result.BackupName | Should -Be 'backup-example'
        $result.ExportNamesIt | Should -BeTrue
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}

Describe 'Dependency isolation from AWS modules' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'S3TestServer.psm1') -Force
        $script:s3 = Start-TestS3Server -Bucket 'lhb-isolation' -AccessKey 'LHBISOKEY'
    }
    AfterAll { Stop-TestS3Server $s3 }

    It 'backs up to S3 after another module loaded AWSSDK.Core 3.7, and leaves that version working' {
        $foreign = Join-Path $packages 'awssdk.core/3.7.402/lib/net8.0/AWSSDK.Core.dll'
        Test-Path -LiteralPath $foreign | Should -BeTrue -Because 'tools/tools.proj downloads it'
        $work = New-TestFolder 'lh-isolation'
        $result = Invoke-FreshSession @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$foreign'
`$env:LONGHORNBACKUP_CONFIG_DIR = '$work/config'
`$env:LONGHORNBACKUP_CACHE_DIR = '$work/cache'
`$env:AWS_SHARED_CREDENTIALS_FILE = '$work/aws-credentials'
`$env:AWS_CONFIG_FILE = '$work/aws-config'
`$env:AWS_EC2_METADATA_DISABLED = 'true'
Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'
Import-Module '$(Join-Path $PSScriptRoot 'TestHelpers.psm1')'
New-TestImage -Path '$work/vol.img' -SizeMiB 8 -DataBlocks 0, 2
`$secret = ConvertTo-SecureString 'isolation-secret' -AsPlainText -Force
Set-LhBackupTarget -Url 's3://lhb-isolation@us-east-1/iso/' -EndpointUrl '$($s3.Endpoint)' -AccessKey LHBISOKEY -SecretKey `$secret
`$b = New-LhBackup -VolumeName iso -SnapshotName s1 -Path '$work/vol.img'
`$b | Restore-LhBackup -Path '$work/restored.img' | Out-Null
`$foreignConfig = [Amazon.Runtime.ClientConfig].Assembly.GetName().Version.ToString()
`$ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'AWSSDK.Core' -and [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext(`$_).Name -eq 'LonghornBackup' }
[pscustomobject]@{
    ForeignVersion = `$foreignConfig
    ForeignStillWorks = [Amazon.RegionEndpoint]::GetBySystemName('us-east-1').SystemName -eq 'us-east-1'
    OurAwsVersion = if (`$ours) { `$ours.GetName().Version.ToString() } else { '' }
    SameImage = (Get-FileHash '$work/vol.img').Hash -eq (Get-FileHash '$work/restored.img').Hash
} | ConvertTo-Json -Compress
"@
        $result.ForeignVersion | Should -BeLike '3.*'
        $result.ForeignStillWorks | Should -BeTrue
        $result.OurAwsVersion | Should -BeLike '4.*'
        $result.SameImage | Should -BeTrue
        Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
    }
}
