# Every exported cmdlet has the help a user looks for: synopsis, description, two examples, every parameter.

BeforeDiscovery {
    $module = Import-Module $env:LONGHORNBACKUP_TEST_MODULE -PassThru -Force
    $script:cmdlets = @($module.ExportedCmdlets.Keys | Sort-Object | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    $script:common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

Describe 'Help of <Name>' -ForEach $cmdlets {
    BeforeAll { $script:help = Get-Help $Name -Full }

    It 'has a synopsis of its own (not the generated syntax line)' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -BeLike "*$Name *[<CommonParameters>]*"
        $help.Synopsis.Length | Should -BeGreaterThan 20
    }

    It 'has a description' {
        ($help.Description.Text -join ' ').Length | Should -BeGreaterThan 50
    }

    It 'has at least two examples, each with code and an explanation' {
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        foreach ($e in $help.Examples.Example) {
            $e.Code | Should -Match $Name.Split('-')[1].Substring(0, 2)
            ($e.Remarks.Text -join ' ').Trim().Length | Should -BeGreaterThan 10
        }
    }

    It 'describes every parameter' {
        $params = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
        foreach ($p in $params) {
            $ph = $help.Parameters.Parameter | Where-Object Name -EQ $p
            $ph | Should -Not -BeNullOrEmpty -Because "-$p needs help"
            ($ph.Description.Text -join ' ').Trim().Length | Should -BeGreaterThan 5 -Because "-$p needs a description"
        }
    }
}

Describe 'about_LonghornBackup' {
    It 'is installed with the module and covers the main topics' {
        $text = Get-Help about_LonghornBackup | Out-String
        foreach ($topic in 'TARGET URL FORMS', 'CREDENTIALS', 'COMPATIBILITY WITH LONGHORN', 'A SCHEDULED TASK') {
            $text | Should -Match $topic
        }
    }
}

# The about topic and README say the same as the module: every URL scheme of the driver registry
# (src/LonghornBackup.Engine/Store/Drivers/StoreDrivers.cs), what the share drivers do, every cmdlet.
Describe 'about_LonghornBackup and README agree with the module' {
    BeforeAll {
        $script:about = Get-Help about_LonghornBackup | Out-String
        $script:readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        # The section of the about topic under an upper-case heading, up to the next one.
        function Get-AboutSection([string] $Heading) {
            if ($about -cnotmatch ('(?ms)^\s*' + [regex]::Escape($Heading) + '\s*$(.*?)^\s*[A-Z][A-Z0-9 ()+.,-]+\s*$')) { throw "no section $Heading" }
            $Matches[1]
        }
        # The engine's driver registry, as the module loaded it (the engine loads on first use).
        $null = Get-LhBackupTarget -ErrorAction SilentlyContinue
        $engine = [System.Runtime.Loader.AssemblyLoadContext]::All.Assemblies | Where-Object { $_.GetName().Name -eq 'LonghornBackup.Engine' } | Select-Object -First 1
        $script:engine = $engine
        $script:drivers = @($engine.GetType('LonghornBackup.Engine.Store.Drivers.StoreDrivers', $true)::All)
        $script:cmdlets = @(Get-Command -Module LonghornBackup -CommandType Cmdlet | ForEach-Object Name | Sort-Object)
    }

    It 'the about topic lists every URL scheme the drivers parse' {
        $drivers.Count | Should -BeGreaterOrEqual 5
        $section = Get-AboutSection 'TARGET URL FORMS'
        foreach ($driver in $drivers) {
            foreach ($scheme in $driver.Schemes) {
                if ($scheme) { $section | Should -Match ([regex]::Escape("${scheme}://")) -Because "the $($driver.Kind) driver parses ${scheme}:// URLs" }
                else { $section | Should -Match '(?m)^\s+/\S' -Because "the $($driver.Kind) driver takes a plain path" }
            }
        }
    }

    It 'README''s target list names every URL scheme the drivers parse' {
        $intro = ($readme -split '(?m)^## ')[0]
        foreach ($scheme in $drivers.Schemes | Where-Object { $_ }) {
            $intro | Should -Match ([regex]::Escape("${scheme}://")) -Because "README's opening lists the targets"
        }
    }

    It 'the about topic says that share targets are mounted as Longhorn mounts them, when a driver mounts' {
        $mounting = @($drivers | Where-Object { $_.GetType().BaseType.Name -eq 'ShareDriver' })
        $mounting.Count | Should -BeGreaterThan 0
        $about | Should -Not -Match 'does not mount|never mounts|mount .* with the operating system'
        $about | Should -Match '/var/lib/longhorn-backupstore-mounts'
        $about | Should -Match 'Dismount-LhBackupTarget'
        $about | Should -Match 'BackupTargetNotMounted'
    }

    It 'the about topic''s SEE ALSO names every cmdlet, and only those' {
        $seeAlso = ($about -split '(?m)^SEE ALSO\s*$')[1]
        $named = @([regex]::Matches($seeAlso, '\b[A-Z][A-Za-z]+-Lh[A-Za-z]+\b').Value | Sort-Object -Unique)
        $named | Should -Be $cmdlets
    }

    It 'README''s cmdlet table lists every cmdlet, and only those' {
        $table = ($readme -split '(?m)^## Cmdlets\s*$')[1] -split '(?m)^### ' | Select-Object -First 1
        $listed = @([regex]::Matches($table, '(?m)^\| `([A-Z][A-Za-z]+-Lh\w+)`(?: / `([A-Z][A-Za-z]+-Lh\w+)`)?').ForEach({ $_.Groups[1].Value; if ($_.Groups[2].Success) { $_.Groups[2].Value } }) | Sort-Object -Unique)
        $listed | Should -Be $cmdlets
    }

    It 'README''s error table has a row for every ErrorId' {
        $table = ($readme -split '(?m)^## Errors\s*$')[1] -split '(?m)^## ' | Select-Object -First 1
        $rows = [regex]::Matches($table, '(?m)^\| (.+?) \|').ForEach({ [regex]::Matches($_.Groups[1].Value, '`(\w+)`').ForEach({ $_.Groups[1].Value }) })
        $ids = $engine.GetType('LonghornBackup.Engine.Errors.ErrorIds', $true).GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetRawConstantValue() }
        $ids.Count | Should -BeGreaterThan 40
        $ids | Where-Object { $_ -notin $rows } | Should -BeNullOrEmpty
    }

    It 'every ErrorId the about topic names is in README''s error table' {
        $table = ($readme -split '(?m)^## Errors\s*$')[1] -split '(?m)^## ' | Select-Object -First 1
        $documented = [regex]::Matches($table, '`(\w+)`').ForEach({ $_.Groups[1].Value })
        $ids = $engine.GetType('LonghornBackup.Engine.Errors.ErrorIds', $true).GetFields() | Where-Object IsLiteral | ForEach-Object { $_.GetRawConstantValue() }
        $named = @($ids | Where-Object { $about -cmatch "\b$_\b" })
        $named.Count | Should -BeGreaterThan 3
        $named | Where-Object { $_ -notin $documented } | Should -BeNullOrEmpty
    }
}

Describe 'What a new user asked about is answered in the help' {
    It 'IsIncremental: New-LhBackup''s help, the about topic and README say why a first incremental backup has it False' {
        $readme = Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../README.md')
        $sources = @{ 'New-LhBackup help' = Get-Help New-LhBackup -Full | Out-String; about_LonghornBackup = Get-Help about_LonghornBackup | Out-String; README = $readme }
        foreach ($name in $sources.Keys) {
            $flat = $sources[$name] -replace '`', '' -replace '\s+', ' '
            $flat -match 'IsIncremental.{0,200}first backup.{0,120}(BackupMode|mode) is Incremental' | Should -BeTrue -Because "$name explains IsIncremental"
        }
    }
}
