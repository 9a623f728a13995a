# Removals without -Force where no one can answer the confirmation prompt (pwsh -NonInteractive, standard input at its
# end as under cron or `< /dev/null`) fail with ConfirmationRequired, naming -Force, and remove nothing; where someone
# can answer (answers on standard input, a real terminal) the prompt works as PowerShell's always has.

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:work = New-TestFolder 'lh-confirm'
    $null = Use-IsolatedTargetSettings
    $script:target = Join-Path $work 'target'
    $null = New-Item -ItemType Directory -Path $target
    Set-LhBackupTarget -Url $target
    $script:image = Join-Path $work 'vol.img'
    New-TestImage -Path $image -SizeMiB 8 -DataBlocks 0, 1
    $script:backups = foreach ($i in 1..3) {
        Set-TestBlock -Path $image -Index 2 -Seed (700 + $i)
        New-LhBackup -VolumeName vol-confirm -SnapshotName "c-$i" -Path $image
    }
    $fresh = Get-FreshPwsh
    $script:pwsh = $fresh.Path
    [string[]] $script:pwshPre = $fresh.Arguments
    $script:moduleArg = $env:LONGHORNBACKUP_TEST_MODULE.Replace("'", "''")

    # A removal in a child pwsh; prints one line RESULT:{json} with what it failed with and what is left.
    function Get-RemovalScript([string] $Removal) {
        @"
Import-Module '$moduleArg'
`$failure = `$null
try { $Removal } catch { `$failure = `$_ }
'RESULT:' + ([pscustomobject]@{
    ErrorId  = if (`$failure) { `$failure.FullyQualifiedErrorId } else { '' }
    Category = if (`$failure) { "`$(`$failure.CategoryInfo.Category)" } else { '' }
    Message  = if (`$failure) { `$failure.Exception.Message } else { '' }
    Action   = if (`$failure -and `$failure.ErrorDetails) { `$failure.ErrorDetails.RecommendedAction } else { '' }
    Backups  = @(Get-LhBackup -VolumeName vol-confirm -ErrorAction SilentlyContinue).Count
} | ConvertTo-Json -Compress)
"@
    }

    # Runs pwsh with its standard input read from $StdinFile (as a shell's `< file` does); returns the exit code, all
    # it printed, and the parsed RESULT line.
    function Invoke-Child([string[]] $Arguments, [string] $StdinFile) {
        $out = & /bin/sh -c 'f=$1; shift; exec "$@" < "$f"' sh $StdinFile $pwsh @pwshPre -NoProfile @Arguments 2>&1
        $text = ($out | ForEach-Object { "$_" }) -join "`n"
        $line = @($text -split "`n" | Where-Object { $_ -like 'RESULT:*' })[-1]
        [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Text     = $text
            Result   = if ($line) { $line.Substring(7) | ConvertFrom-Json } else { $null }
        }
    }

    function Write-Answers([string] $Text) {
        $file = Join-Path $work ("answers-" + [guid]::NewGuid().ToString('N') + '.txt')
        [IO.File]::WriteAllText($file, $Text)
        $file
    }
}

AfterAll { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }

Describe 'Removal without -Force where no one can answer' -Skip:$IsWindows {
    It 'pwsh -NonInteractive -Command: <Command> fails with ConfirmationRequired naming -Force, and removes nothing' -ForEach @(
        @{ Command = 'Remove-LhBackup -VolumeName vol-confirm -Name <first>' }
        @{ Command = 'Remove-LhBackup -VolumeName vol-confirm -KeepLast 1' }
        @{ Command = 'Remove-LhBackupVolume -Name vol-confirm' }
        @{ Command = 'Repair-LhBackupVolume -VolumeName vol-confirm' }
    ) {
        $removal = $Command.Replace('<first>', $backups[0].Name)
        # Standard input holds an answer, so only -NonInteractive stands in the way (PowerShell would not read it).
        $r = Invoke-Child @('-NonInteractive', '-Command', (Get-RemovalScript $removal)) (Write-Answers "y`n")
        $r.Result | Should -Not -BeNullOrEmpty -Because $r.Text
        $r.Result.ErrorId | Should -BeLike 'ConfirmationRequired,*' -Because $r.Text
        $r.Result.Category | Should -Be 'InvalidOperation'
        $r.Result.Message | Should -Match '-Force'
        $r.Result.Message | Should -Match '-NonInteractive'
        $r.Result.Action | Should -Match '-Force'
        $r.Result.Backups | Should -Be 3
        $r.Text | Should -Not -Match 'Are you sure'
        @(Get-LhBackup -VolumeName vol-confirm).Count | Should -Be 3
    }

    It 'standard input from /dev/null: <Command> fails with ConfirmationRequired before printing a prompt, and removes nothing' -ForEach @(
        @{ Command = 'Remove-LhBackup -VolumeName vol-confirm -Name <first>' }
        @{ Command = 'Get-LhBackup -VolumeName vol-confirm | Remove-LhBackup' }
        @{ Command = 'Remove-LhBackup -VolumeName vol-confirm -KeepLast 1' }
        @{ Command = 'Remove-LhBackupVolume -Name vol-confirm' }
        @{ Command = 'Get-LhBackupVolume | Repair-LhBackupVolume' }
    ) {
        $removal = $Command.Replace('<first>', $backups[0].Name)
        $r = Invoke-Child @('-Command', (Get-RemovalScript $removal)) '/dev/null'
        $r.Result | Should -Not -BeNullOrEmpty -Because $r.Text
        $r.Result.ErrorId | Should -BeLike 'ConfirmationRequired,*' -Because $r.Text
        $r.Result.Message | Should -Match '-Force'
        $r.Result.Message | Should -Match 'standard input'
        $r.Result.Backups | Should -Be 3
        $r.Text | Should -Not -Match 'Are you sure'
        $r.Text | Should -Not -Match 'NullReferenceException|Object reference'
        @(Get-LhBackup -VolumeName vol-confirm).Count | Should -Be 3
    }

    It 'a pwsh -File script with $ErrorActionPreference = Stop exits 1 on it' {
        $file = Join-Path $work 'unattended.ps1'
        Set-Content -LiteralPath $file -Value ("`$ErrorActionPreference = 'Stop'`n" + "Import-Module '$moduleArg'`n" +
            "Remove-LhBackup -VolumeName vol-confirm -Name $($backups[0].Name)`n'not reached'")
        $out = & $pwsh @pwshPre -NoProfile -NonInteractive -File $file 2>&1
        $LASTEXITCODE | Should -Be 1
        ($out | Out-String) | Should -Match '-Force'
        ($out | Out-String) | Should -Not -Match 'not reached'
        @(Get-LhBackup -VolumeName vol-confirm).Count | Should -Be 3
    }

    It '-Force still removes, -WhatIf still only reports, in the same unattended session' {
        $r = Invoke-Child @('-NonInteractive', '-Command', (Get-RemovalScript "Remove-LhBackup -VolumeName vol-confirm -Name $($backups[0].Name) -WhatIf")) '/dev/null'
        $r.Result.ErrorId | Should -Be '' -Because $r.Text
        $r.Result.Backups | Should -Be 3
        $r.Text | Should -Match 'What if'
    }
}

Describe 'Removal without -Force where someone can answer' -Skip:$IsWindows {
    It 'answers on redirected standard input are read as before: <Answer> -> <Left> backups left' -ForEach @(
        @{ Answer = 'n'; Left = 3 }
        @{ Answer = 'y'; Left = 2 }
    ) {
        $victim = @(Get-LhBackup -VolumeName vol-confirm)[0].Name
        $r = Invoke-Child @('-Command', (Get-RemovalScript "Remove-LhBackup -VolumeName vol-confirm -Name $victim")) (Write-Answers "$Answer`n")
        $r.Result.ErrorId | Should -Be '' -Because $r.Text
        $r.Text | Should -Match 'Are you sure'
        $r.Result.Backups | Should -Be $Left
    }

    It 'a real terminal gets the prompt, and the answer decides' {
        $script = Get-Command script -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $script) { Set-ItResult -Skipped -Because 'util-linux script (a pseudo-terminal) is not installed'; return }
        $before = @(Get-LhBackup -VolumeName vol-confirm).Count
        $file = Join-Path $work 'interactive.ps1'
        Set-Content -LiteralPath $file -Value (Get-RemovalScript "Remove-LhBackup -VolumeName vol-confirm -Name $((Get-LhBackup -VolumeName vol-confirm)[0].Name)")
        $quoted = (@($pwsh) + $pwshPre + @('-NoProfile', '-File', $file) | ForEach-Object { "'" + $_.Replace("'", "'\''") + "'" }) -join ' '
        $psi = [Diagnostics.ProcessStartInfo]::new($script.Source)
        foreach ($a in '-qec', $quoted, '/dev/null') { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardInput = $true
        $psi.RedirectStandardOutput = $true
        $psi.UseShellExecute = $false
        $psi.Environment['TERM'] = 'xterm'
        $p = [Diagnostics.Process]::Start($psi)
        $state = @{ Seen = [Text.StringBuilder]::new(); Read = $null; Answered = 0; Eof = $false }
        $buffer = [char[]]::new(4096)
        # Reads the terminal until $Until holds, its output is quiet for $Quiet ms, or it ends; answers the cursor
        # position queries (ESC[6n) PowerShell's console makes, as a terminal would, so none of them waits.
        $pump = {
            param([scriptblock] $Until, [int] $Quiet = 0, [int] $Seconds = 90)
            $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
            $lastData = [DateTime]::UtcNow
            while (-not $state.Eof -and [DateTime]::UtcNow -lt $deadline) {
                if ($Until -and (& $Until)) { return }
                if ($Quiet -gt 0 -and ([DateTime]::UtcNow - $lastData).TotalMilliseconds -ge $Quiet) { return }
                if (-not $state.Read) { $state.Read = $p.StandardOutput.ReadAsync($buffer, 0, $buffer.Length) }
                if (-not $state.Read.Wait(100)) { continue }
                $n = $state.Read.Result
                $state.Read = $null
                if ($n -eq 0) { $state.Eof = $true; return }
                $null = $state.Seen.Append($buffer, 0, $n)
                $lastData = [DateTime]::UtcNow
                $queries = ([regex]::Matches($state.Seen.ToString(), '\x1b\[6n')).Count
                while ($state.Answered -lt $queries) { $p.StandardInput.Write("`e[1;1R"); $p.StandardInput.Flush(); $state.Answered++ }
            }
        }
        try {
            & $pump -Until { $state.Seen.ToString() -match '\(default is' }
            $state.Seen.ToString() | Should -Match 'Are you sure' -Because $state.Seen.ToString()
            & $pump -Quiet 1000          # the prompt is waiting for a key
            $p.StandardInput.Write("n`r")   # No, as a user types it
            $p.StandardInput.Flush()
            & $pump -Seconds 90          # to the end
            $p.WaitForExit(60000) | Should -BeTrue -Because $state.Seen.ToString()   # its output has ended: a bound, not a time window
        }
        finally { if (-not $p.HasExited) { $p.Kill($true) } }
        $text = $state.Seen.ToString()
        $line = @($text -split "`r?`n" | Where-Object { $_ -match 'RESULT:' })[-1]
        $result = ($line -replace '^.*RESULT:', '' -replace '\x1b\[[0-9;?]*[A-Za-z]', '').Trim() | ConvertFrom-Json
        $result.ErrorId | Should -Be '' -Because $text
        $result.Backups | Should -Be $before
    }
}
