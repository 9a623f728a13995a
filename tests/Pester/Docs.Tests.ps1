# What the code cites must be in the repository: every "docs/<file>.md §N" a source comment cites names a file and a
# section that exist, and nothing points at a spec outside the repository any more.

BeforeAll {
    $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
    $script:docsDir = Join-Path $root 'docs'
    $script:sources = @(foreach ($top in 'src', 'tests', 'bench', 'tools', 'module', 'examples') {
        $dir = Join-Path $root $top
        if (Test-Path -LiteralPath $dir) {
            Get-ChildItem -LiteralPath $dir -Recurse -File -Include *.cs, *.ps1, *.psm1, *.ps1xml, *.js |
                Where-Object { $_.FullName -notmatch '[\\/](bin|obj|node_modules)[\\/]' -and $_.FullName -ne $PSCommandPath }
        }
    })
    $script:citations = @(foreach ($file in $sources) {
        foreach ($m in [regex]::Matches((Get-Content -Raw -LiteralPath $file.FullName), 'docs/([\w.-]+\.md) §(\d+(?:\.\d+)?)')) {
            [pscustomobject]@{ Source = [IO.Path]::GetRelativePath($root, $file.FullName); Doc = $m.Groups[1].Value; Section = $m.Groups[2].Value }
        }
    })
    # A section "N" or "N.M" exists when the document has a heading that starts with that number.
    function Test-Section([string] $Doc, [string] $Section) {
        $path = Join-Path $docsDir $Doc
        (Test-Path -LiteralPath $path) -and ((Get-Content -Raw -LiteralPath $path) -match "(?m)^#{2,3} $([regex]::Escape($Section))(\.| )")
    }
}

Describe 'Citations of the format docs' {
    It 'are found in the code (the scan works)' {
        $citations.Count | Should -BeGreaterThan 40
        $citations.Doc | Sort-Object -Unique | Should -Contain 'backupstore-format.md'
    }

    It 'each name a document and a section that exist' {
        $broken = $citations | Where-Object { -not (Test-Section $_.Doc $_.Section) } | ForEach-Object { "$($_.Source): docs/$($_.Doc) §$($_.Section)" }
        $broken | Should -BeNullOrEmpty
    }

    It 'point inside the repository, never at a spec beside it' {
        $outside = $sources | Where-Object { (Get-Content -Raw -LiteralPath $_.FullName) -match 'spec §|\.\./shared|shared/spec' } | ForEach-Object Name
        $outside | Should -BeNullOrEmpty
    }
}
