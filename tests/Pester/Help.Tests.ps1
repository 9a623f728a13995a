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
