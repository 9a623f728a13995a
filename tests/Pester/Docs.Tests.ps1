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

# What users read: README, the help sources, the about topic, the runbook examples and the docs README links. They
# name no internal issue numbers. Longhorn's own issues are cited on a line naming longhorn/longhorn; the format
# document's §11 lists them as the reasons for choices and is left out.
Describe 'User documentation' {
    BeforeAll {
        $root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).ProviderPath
        $script:userDocs = @(
            Get-Item -LiteralPath (Join-Path $root 'README.md')
            Get-ChildItem -LiteralPath (Join-Path $root 'docs') -File -Filter *.md | Where-Object Name -NE 'backupstore-format.md'
            Get-ChildItem -LiteralPath (Join-Path $root 'docs/help') -File -Filter *.md
            Get-ChildItem -LiteralPath (Join-Path $root 'module/en-US') -File
            Get-ChildItem -LiteralPath (Join-Path $root 'examples') -File -Filter *.ps1
        )
        # GitHub's anchor of a heading: lower case, punctuation other than - and _ dropped, spaces as -.
        function Get-Anchor([string] $Heading) { ($Heading.Trim().ToLowerInvariant() -replace '[^\p{L}\p{Nd} _-]', '') -replace ' ', '-' }
        function Get-Anchors([string] $Path) {
            @(Select-String -LiteralPath $Path -Pattern '^#{1,6} (.+)$' | ForEach-Object { Get-Anchor $_.Matches[0].Groups[1].Value })
        }
    }

    It 'names no internal issue numbers' {
        $userDocs.Count | Should -BeGreaterThan 25
        $hits = foreach ($file in $userDocs) {
            Select-String -LiteralPath $file.FullName -Pattern '\bissues? #?\d+', '(?<![\w&/])#\d+\b' |
                Where-Object Line -NotMatch 'longhorn/longhorn' | ForEach-Object { "$($file.Name):$($_.LineNumber): $($_.Line.Trim())" }
        }
        $hits | Should -BeNullOrEmpty
    }

    It 'README''s links lead to files and headings that exist' {
        $readme = Join-Path $root 'README.md'
        $links = [regex]::Matches((Get-Content -Raw -LiteralPath $readme), '\]\(([\w./-]*\.md)?(?:#([\w-]+))?\)')
        $links.Count | Should -BeGreaterThan 5
        $broken = foreach ($l in $links) {
            $file = if ($l.Groups[1].Value) { Join-Path $root $l.Groups[1].Value } else { $readme }
            if (-not (Test-Path -LiteralPath $file)) { $l.Value; continue }
            if ($l.Groups[2].Success -and $l.Groups[2].Value -notin (Get-Anchors $file)) { $l.Value }
        }
        $broken | Should -BeNullOrEmpty
    }

    It 'README keeps to what a user needs: benchmarks and design notes live in docs/, linked from it' {
        $text = Get-Content -Raw -LiteralPath (Join-Path $root 'README.md')
        $text | Should -Not -Match '(?m)^## (Performance|Layout)\b'
        $text | Should -Not -Match 'restic 0\.14'
        $text | Should -Match '\]\(docs/benchmarks\.md\)'
        $text | Should -Match '\]\(docs/design-notes\.md\)'
        Join-Path $root 'docs/benchmarks.md' | Should -FileContentMatch 'restic 0\.14'
    }
}
