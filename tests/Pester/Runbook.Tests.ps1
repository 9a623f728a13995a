# The example nightly runbook, run as a scheduled task would run it: a fresh non-interactive pwsh, exit code checked.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:runbook = Join-Path $PSScriptRoot '../../examples/Nightly-Backup.ps1'
    $script:work = New-TestFolder 'lh-runbook'
    $script:target = Join-Path $work 'target'
    $null = New-Item -ItemType Directory -Path $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 2
    $script:settings = @{
        LONGHORNBACKUP_CONFIG_DIR = Join-Path $work 'config'
        LONGHORNBACKUP_CACHE_DIR  = Join-Path $work 'cache'
    }

    # Runs a script in a fresh non-interactive pwsh with the test's settings; returns its exit code and output.
    function Invoke-Scheduled([string[]] $Arguments) {
        $fresh = Get-FreshPwsh; $pwsh = $fresh.Path
        [string[]] $pre = $fresh.Arguments
        $saved = @{}
        foreach ($k in $settings.Keys) { $saved[$k] = [Environment]::GetEnvironmentVariable($k); [Environment]::SetEnvironmentVariable($k, $settings[$k]) }
        try { $out = & $pwsh @pre -NoProfile -NonInteractive @Arguments 2>&1 }
        finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
        [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = ($out | Out-String) }
    }

    $r = Invoke-Scheduled @('-Command', "Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'; Set-LhBackupTarget -Url '$target'")
    if ($r.ExitCode -ne 0) { throw "setting the target failed: $($r.Output)" }
    $script:common = @('-File', $runbook, '-VolumeName', 'nightly-vol', '-Path', $image, '-ModulePath', $env:LONGHORNBACKUP_TEST_MODULE,
        '-TranscriptDirectory', (Join-Path $work 'logs'), '-KeepLast', '2')
}

AfterAll { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'examples/Nightly-Backup.ps1' {
    It 'backs up, keeps the newest two, verifies deeply, and exits 0' {
        foreach ($i in 1..3) {
            Set-TestBlock -Path $image -Index 3 -Seed (500 + $i)
            $r = Invoke-Scheduled ($common + @('-SnapshotName', "night-$i", '-AlwaysDeep'))
            $r.ExitCode | Should -Be 0 -Because $r.Output
        }
        $r.Output | Should -Match 'healthy'
        $check = Invoke-Scheduled @('-Command', "Import-Module '$env:LONGHORNBACKUP_TEST_MODULE'; (Get-LhBackup -VolumeName nightly-vol).SnapshotName -join ','")
        $check.Output.Trim() | Should -Be 'night-2,night-3'
        @(Get-ChildItem -LiteralPath (Join-Path $work 'logs') -Filter '*.log').Count | Should -Be 3
    }

    It 'exits non-zero when a block is corrupt' {
        $blk = Get-ChildItem -LiteralPath $target -Recurse -Filter '*.blk' | Select-Object -First 1
        [IO.File]::WriteAllBytes($blk.FullName, [byte[]](1, 2, 3))
        $r = Invoke-Scheduled ($common + @('-SnapshotName', 'night-4', '-AlwaysDeep'))
        $r.ExitCode | Should -Be 1
        $r.Output | Should -Match 'broken backup'
        $r.Output | Should -Match '(?m)^Test-LhBackup: ' -Because 'Test-LhBackup''s own error is reported'
        $r.Output | Should -Not -Match 'Write-Error'
    }

    It 'exits non-zero when the target is unreachable' {
        Rename-Item -LiteralPath $target -NewName 'target-unmounted'
        try {
            $r = Invoke-Scheduled ($common + @('-SnapshotName', 'night-5'))
            $r.ExitCode | Should -Be 1
            $r.Output | Should -Match 'does not exist'
        }
        finally { Rename-Item -LiteralPath (Join-Path $work 'target-unmounted') -NewName 'target' }
    }
}

Describe 'the examples as documented scripts' {
    It 'Get-Help shows the runbook''s comment-based help: synopsis, every parameter, examples and the exit codes' {
        $help = Get-Help $runbook -Full
        $help.Synopsis | Should -Match 'nightly backup runbook'
        ($help.description | Out-String) | Should -Match 'Install-PSResource'
        $parameters = @((Get-Command $runbook).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters })
        $parameters.Count | Should -Be 11
        foreach ($name in $parameters) {
            $p = $help.parameters.parameter | Where-Object name -EQ $name
            ($p.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$name needs a .PARAMETER description"
        }
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        $notes = $help.alertSet | Out-String
        $notes | Should -Match 'Exit codes'
        $notes | Should -Match '0\s+the backup'
        $notes | Should -Match '1\s+anything failed'
    }

    It '<Name> has comment-based help and sets $ErrorActionPreference = ''Stop''' -ForEach @(
        @{ Name = 'Nightly-Backup.ps1' }
        @{ Name = 'Demo.ps1' }
    ) {
        $path = Join-Path $PSScriptRoot "../../examples/$Name"
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$null, [ref]$null)
        $sets = @($ast.EndBlock.Statements | Where-Object {
            $_ -is [System.Management.Automation.Language.AssignmentStatementAst] -and $_.Left.Extent.Text -eq '$ErrorActionPreference'
        })
        $sets.Count | Should -Be 1
        $sets[0].Right.Extent.Text | Should -Be "'Stop'"
        # Without help PowerShell shows the syntax line as the synopsis.
        (Get-Help $path).Synopsis | Should -Not -Match "$([regex]::Escape($Name)) \[" -Because 'the help block must be recognised'
    }
}
