# build.ps1 -Task Install and -Task Package: the staged module installed like any module, so a new session imports it
# by name; the package installed with Install-PSResource from a local repository. Every install goes to a temporary
# home folder (HOME, XDG_DATA_HOME) or -Destination: the real user and all-users module folders are never written.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:repoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../..'))
    $script:build = Join-Path $repoRoot 'build.ps1'
    $script:staged = Join-Path $repoRoot 'out/LonghornBackup'
    if (-not (Test-Path -LiteralPath (Join-Path $staged 'LonghornBackup.psd1'))) { throw "No staged module in ${staged}: run build.ps1 -Task Build first." }
    $stagedManifest = Test-ModuleManifest -Path (Join-Path $staged 'LonghornBackup.psd1')
    $script:version = "$($stagedManifest.Version)"
    # Every cmdlet the manifest exports must be there once the installed module is imported by name.
    $script:exportedCmdletCount = $stagedManifest.ExportedCmdlets.Count
    $script:work = New-TestFolder 'lh-install'

    # A target for the cmdlets and the runbook the installed module runs (the children inherit the settings folder).
    $null = Use-IsolatedTargetSettings
    $script:target = Join-Path $work 'target'
    $null = New-Item -ItemType Directory -Path $target
    Set-LhBackupTarget -Url $target

    # The real module folders, to prove at the end that nothing here wrote to them.
    . (Join-Path $repoRoot 'tools/build/Install.ps1')
    $script:realFolders = @((Get-ModuleInstallRoot -Scope CurrentUser), (Get-ModuleInstallRoot -Scope AllUsers)) |
        ForEach-Object { Join-Path $_ 'LonghornBackup' }
    $script:realBefore = @($realFolders | ForEach-Object { Get-TreeState $_ })

    # Runs a fresh pwsh with HOME set to $Home_ (and XDG_DATA_HOME removed, or set to $DataHome), PSModulePath left for
    # PowerShell to compute from them, standard input closed; returns its exit code and everything it printed.
    function Invoke-InHome([string] $Home_, [string[]] $Arguments, [string] $DataHome) {
        $fresh = Get-FreshPwsh
        $psi = [Diagnostics.ProcessStartInfo]::new($fresh.Path)
        foreach ($a in @($fresh.Arguments) + @('-NoProfile', '-NonInteractive') + $Arguments) { $psi.ArgumentList.Add($a) }
        $null = New-Item -ItemType Directory -Path $Home_ -Force
        $psi.Environment['HOME'] = $Home_
        $null = $psi.Environment.Remove('PSModulePath')
        $null = $psi.Environment.Remove('XDG_DATA_HOME')
        if ($DataHome) { $psi.Environment['XDG_DATA_HOME'] = $DataHome }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.RedirectStandardError = $true
        $psi.UseShellExecute = $false
        $psi.WorkingDirectory = $work
        $p = [Diagnostics.Process]::Start($psi)
        $p.StandardInput.Close()
        $out = $p.StandardOutput.ReadToEndAsync()
        $err = $p.StandardError.ReadToEndAsync()
        if (-not $p.WaitForExit(300000)) { $p.Kill($true); throw "pwsh $Arguments did not finish in 5 minutes" }
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result + $err.Result }
    }

    function Get-RelativeTree([string] $Path) {
        @(Get-ChildItem -LiteralPath $Path -Recurse -File | ForEach-Object {
            [IO.Path]::GetRelativePath($Path, $_.FullName) + '=' + (Get-FileHash -LiteralPath $_.FullName).Hash
        } | Sort-Object)
    }
}

AfterAll { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }

# HOME moves PowerShell's per-user folder on Linux and macOS only (Windows uses Documents), so the tests that install
# for the current user run there; -Destination and the scope folders are tested everywhere.
Describe 'build.ps1 -Task Install' {
    It 'CurrentUser puts the module in PowerShell''s per-user modules folder, where a new session imports it by name' -Skip:$IsWindows {
        $home1 = Join-Path $work 'home-user'
        $r = Invoke-InHome $home1 @('-File', $build, '-Task', 'Install', '-NoBuild')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $installed = Join-Path $home1 ".local/share/powershell/Modules/LonghornBackup/$version"
        Get-RelativeTree $installed | Should -Be (Get-RelativeTree $staged)

        $r = Invoke-InHome $home1 @('-Command', @'
Import-Module LonghornBackup -ErrorAction Stop
$m = Get-Module LonghornBackup
[pscustomobject]@{
    Base = $m.ModuleBase; Version = "$($m.Version)"; Cmdlets = @(Get-Command -Module LonghornBackup).Count
    Targets = @(Get-LhBackupTarget).Count; About = (Get-Help about_LonghornBackup | Out-String) -match 'A SCHEDULED TASK'
} | ConvertTo-Json -Compress
'@)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $info = ($r.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $info.Base | Should -Be $installed
        $info.Version | Should -Be $version
        $info.Cmdlets | Should -Be $exportedCmdletCount
        $info.Targets | Should -Be 1
        $info.About | Should -BeTrue
    }

    It 'the README''s runbook runs with the installed module, imported by name (no -ModulePath)' -Skip:$IsWindows {
        $home1 = Join-Path $work 'home-user'
        $image = Join-Path $work 'vol.img'
        New-TestImage -Path $image -SizeMiB 4 -DataBlocks 0
        $r = Invoke-InHome $home1 @('-File', (Join-Path $repoRoot 'examples/Nightly-Backup.ps1'), '-VolumeName', 'installed-vol',
            '-Path', $image, '-TranscriptDirectory', (Join-Path $work 'logs'), '-AlwaysDeep')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match ([regex]::Escape("LonghornBackup $version from $(Join-Path $home1 '.local/share/powershell/Modules/LonghornBackup')"))
        $r.Output | Should -Match 'healthy'
        @(Get-LhBackup -VolumeName installed-vol).Count | Should -Be 1
    }

    It 'the README''s runbook line runs as printed in a fresh shell, with the pwsh Install provides; its log is plain and names a failing cmdlet once' -Skip:$IsWindows {
        $home2 = Join-Path $work 'home-runbook'
        $r = Invoke-InHome $home2 @('-File', $build, '-Task', 'Install', '-NoBuild')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        # A new login shell's PATH on Debian and Ubuntu: ~/.local/bin first, then what cron has. A pwsh found there
        # other than ours (Microsoft's package in /usr/bin) is the one the line runs, and Install leaves it alone.
        $bin = Join-Path $home2 '.local/bin'
        $launcher = Join-Path $bin 'pwsh'
        $system = @('/usr/bin/pwsh', '/bin/pwsh') | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
        if ($system) { $launcher | Should -Not -Exist }
        else {
            $launcher | Should -FileContentMatch 'LonghornBackup pwsh launcher'
            $r.Output | Should -Match ([regex]::Escape("Wrote the pwsh launcher $launcher"))
        }
        # Runs a shell command as a user's new shell would: nothing inherited but HOME and that PATH.
        function Invoke-FreshShell([string] $Command, [string] $Folder) {
            $psi = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
            $psi.ArgumentList.Add('-c'); $psi.ArgumentList.Add($Command)
            $psi.Environment.Clear()
            $psi.Environment['HOME'] = $home2
            $psi.Environment['PATH'] = "${bin}:/usr/bin:/bin"
            $psi.WorkingDirectory = $Folder
            $psi.UseShellExecute = $false
            $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
            $p = [Diagnostics.Process]::Start($psi)
            $p.StandardInput.Close()
            $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEndAsync()
            if (-not $p.WaitForExit(300000)) { $p.Kill($true); throw "sh -c $Command did not finish in 5 minutes" }
            $p.WaitForExit()
            [pscustomobject]@{ ExitCode = $p.ExitCode; Output = $out.Result + $err.Result }
        }

        # The set-up the README names: a default target, the demo's image, the example beside it, the repository root.
        $clone = Join-Path $work 'clone'
        $null = New-Item -ItemType Directory -Path (Join-Path $clone 'examples'), (Join-Path $clone 'out/demo') -Force
        Copy-Item -LiteralPath (Join-Path $repoRoot 'examples/Nightly-Backup.ps1') -Destination (Join-Path $clone 'examples')
        New-TestImage -Path (Join-Path $clone 'out/demo/vol1.img') -SizeMiB 8 -DataBlocks 0, 2
        $store = Join-Path $work 'runbook-target'
        $null = New-Item -ItemType Directory -Path $store
        $set = Invoke-FreshShell "pwsh -NoProfile -NonInteractive -Command 'Set-LhBackupTarget -Url $store'" $clone
        $set.ExitCode | Should -Be 0 -Because $set.Output

        $readme = Get-Content -Raw -LiteralPath (Join-Path $repoRoot 'README.md')
        $readme -match '(?m)^\s*(pwsh -NoProfile -NonInteractive -File examples/Nightly-Backup\.ps1 .+?)\s*$' | Should -BeTrue
        $line = $Matches[1]
        $line | Should -Match '>> nightly\.log 2>&1$'
        $log = Join-Path $clone 'nightly.log'

        $ok = Invoke-FreshShell $line $clone
        $ok.ExitCode | Should -Be 0 -Because ((Get-Content -Raw -LiteralPath $log -ErrorAction SilentlyContinue) + $ok.Output)
        $text = Get-Content -Raw -LiteralPath $log
        $text | Should -Match 'are healthy'
        $text | Should -Match ([regex]::Escape("from $(Join-Path $home2 '.local/share/powershell/Modules/LonghornBackup')"))

        # The target's folder goes away (an unmounted export): the run fails with New-LhBackup's own error, once.
        Remove-Item -LiteralPath $log
        Rename-Item -LiteralPath $store -NewName 'runbook-target-gone'
        $failed = Invoke-FreshShell $line $clone
        $failed.ExitCode | Should -Be 1
        $text = Get-Content -Raw -LiteralPath $log
        $text | Should -Not -Match "`e" -Because 'a redirected log is plain text'
        @([regex]::Matches($text, '(?m)^New-LhBackup: ')).Count | Should -Be 1 -Because $text
        @([regex]::Matches($text, 'The backup target folder')).Count | Should -Be 1 -Because $text
        $text | Should -Not -Match 'Write-Error'
    }

    It 'CurrentUser follows XDG_DATA_HOME as PowerShell does' -Skip:$IsWindows {
        $data = Join-Path $work 'xdg-data'
        $r = Invoke-InHome (Join-Path $work 'home-xdg') @('-File', $build, '-Task', 'Install', '-NoBuild') -DataHome $data
        $r.ExitCode | Should -Be 0 -Because $r.Output
        Join-Path $data "powershell/Modules/LonghornBackup/$version/LonghornBackup.psd1" | Should -Exist
        $r.Output | Should -Match 'Import-Module LonghornBackup now loads it'
    }

    It 'each scope''s folder is the one PowerShell puts on PSModulePath for it' {
        $r = Invoke-InHome (Join-Path $work 'home-paths') @('-Command', @"
. '$(Join-Path $repoRoot 'tools/build/Install.ps1')'
[pscustomobject]@{
    CurrentUser = Get-ModuleInstallRoot -Scope CurrentUser; AllUsers = Get-ModuleInstallRoot -Scope AllUsers
    ModulePath = @(`$env:PSModulePath -split [IO.Path]::PathSeparator | Where-Object { `$_ })
    Home = `$HOME
} | ConvertTo-Json -Compress
"@)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $p = ($r.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1) | ConvertFrom-Json
        $p.ModulePath | Should -Contain $p.CurrentUser
        $p.ModulePath | Should -Contain $p.AllUsers
        $p.ModulePath.IndexOf($p.CurrentUser) | Should -BeLessThan $p.ModulePath.IndexOf($p.AllUsers) -Because 'the user''s copy wins'
        $p.AllUsers | Should -Not -BeLike "$PSHOME*" -Because 'an all-users install must outlive PowerShell updates'
        if (-not $IsWindows) {
            $p.CurrentUser | Should -Be (Join-Path $p.Home '.local/share/powershell/Modules')
            $p.AllUsers | Should -Be '/usr/local/share/powershell/Modules'
        }
    }

    It '-Destination replaces an installed copy of the same version and leaves other versions alone' {
        $dest = Join-Path $work 'modules'
        $other = Join-Path $dest 'LonghornBackup/0.0.1'
        $null = New-Item -ItemType Directory -Path $other -Force
        Set-Content -LiteralPath (Join-Path $other 'keep.txt') -Value 'an older version'
        $r = Invoke-InHome (Join-Path $work 'home-dest') @('-File', $build, '-Task', 'Install', '-NoBuild', '-Destination', $dest)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $installed = Join-Path $dest "LonghornBackup/$version"
        Set-Content -LiteralPath (Join-Path $installed 'stale.txt') -Value 'left by an earlier install'
        Remove-Item -LiteralPath (Join-Path $installed 'LonghornBackup.Format.ps1xml')

        $r = Invoke-InHome (Join-Path $work 'home-dest') @('-File', $build, '-Task', 'Install', '-NoBuild', '-Destination', $dest, '-Scope', 'AllUsers')
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output | Should -Match 'replacing'
        Get-RelativeTree $installed | Should -Be (Get-RelativeTree $staged)
        Join-Path $other 'keep.txt' | Should -Exist
        @(Get-ChildItem -LiteralPath (Join-Path $dest 'LonghornBackup') -Force).Name | Sort-Object | Should -Be @('0.0.1', $version)
        # Imported in a child: importing it here would tie this session's format data to a folder deleted after the file.
        $r = Invoke-InHome (Join-Path $work 'home-dest') @('-Command', "(Import-Module '$(Join-Path $installed 'LonghornBackup.psd1')' -PassThru).ModuleBase")
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $r.Output.Trim() | Should -Be $installed
    }
}

Describe 'build.ps1 -Task Package' {
    BeforeAll {
        $r = Invoke-InHome (Join-Path $work 'home-pack') @('-File', $build, '-Task', 'Package', '-NoBuild')
        $script:packResult = $r
        $script:package = Join-Path $repoRoot "out/LonghornBackup.$version.nupkg"
    }

    It 'makes out/LonghornBackup.<version>.nupkg: the module at the package root and a .nuspec for PowerShellGet' {
        $packResult.ExitCode | Should -Be 0 -Because $packResult.Output
        $package | Should -Exist
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try {
            $names = @($zip.Entries.FullName)
            foreach ($n in 'LonghornBackup.nuspec', 'LonghornBackup.psd1', 'LonghornBackup.Format.ps1xml', 'bin/net8.0/LonghornBackup.dll',
                'bin/net472/LonghornBackup.dll', 'en-US/about_LonghornBackup.help.txt', 'en-US/LonghornBackup.dll-Help.xml', '[Content_Types].xml', '_rels/.rels') {
                $names | Should -Contain $n
            }
            $names | Where-Object { $_ -like 'LonghornBackup/*' } | Should -BeNullOrEmpty -Because 'the module files are at the root'
            $reader = [IO.StreamReader]::new($zip.GetEntry('LonghornBackup.nuspec').Open())
            try { $nuspec = [xml]$reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
        $m = $nuspec.package.metadata
        $m.id | Should -Be 'LonghornBackup'
        $m.version | Should -Be $version
        $m.authors | Should -Not -BeNullOrEmpty
        $m.description | Should -Match 'Longhorn'
        $tags = $m.tags -split ' '
        foreach ($t in 'PSModule', 'PSEdition_Core', 'PSEdition_Desktop', 'PSIncludes_Cmdlet', 'PSCmdlet_New-LhBackup', 'PSCommand_Remove-LhBackup') { $tags | Should -Contain $t }
    }

    It 'Install-PSResource installs it from a local repository, and Import-Module LonghornBackup loads it by name' -Skip:$IsWindows {
        $repo = Join-Path $work 'repository'
        $null = New-Item -ItemType Directory -Path $repo -Force
        Copy-Item -LiteralPath $package -Destination $repo
        $homeDir = Join-Path $work 'home-psresource'
        $null = New-Item -ItemType Directory -Path (Join-Path $work 'psresource-tmp') -Force
        $r = Invoke-InHome $homeDir @('-Command', @"
`$ErrorActionPreference = 'Stop'
# Never install into a real home: PSResourceGet's CurrentUser folder is under HOME.
if (-not [Environment]::GetFolderPath('UserProfile').StartsWith('$homeDir')) { throw 'HOME is not the test folder' }
if (-not (Get-Module -ListAvailable Microsoft.PowerShell.PSResourceGet)) { 'RESULT:{"Skipped":"Microsoft.PowerShell.PSResourceGet does not ship with this PowerShell"}'; exit 0 }
Register-PSResourceRepository -Name LhTestLocal -Uri '$repo' -Trusted
Install-PSResource -Name LonghornBackup -Repository LhTestLocal -Scope CurrentUser -TemporaryPath '$(Join-Path $work 'psresource-tmp')' -TrustRepository -Quiet
Import-Module LonghornBackup
`$m = Get-Module LonghornBackup
'RESULT:' + ([pscustomobject]@{
    Base = `$m.ModuleBase; Version = "`$(`$m.Version)"; Installed = "`$((Get-InstalledPSResource LonghornBackup).Version)"
    Targets = @(Get-LhBackupTarget | Where-Object Available).Count
} | ConvertTo-Json -Compress)
"@)
        $r.ExitCode | Should -Be 0 -Because $r.Output
        $line = @($r.Output -split "`n" | Where-Object { $_ -like 'RESULT:*' })[-1]
        $info = $line.Substring(7) | ConvertFrom-Json
        if ($info.PSObject.Properties['Skipped']) { Set-ItResult -Skipped -Because $info.Skipped; return }
        $info.Version | Should -Be $version
        $info.Installed | Should -Be $version
        $info.Base | Should -BeLike "$homeDir*"
        $info.Targets | Should -Be 1
    }
}

Describe 'Installing' {
    It 'never wrote to the real user or all-users module folders' {
        @($realFolders | ForEach-Object { Get-TreeState $_ }) | Should -Be $realBefore
    }
}
