# Longhorn custom resources as YAML (issue 5): Backup manifests applied with New-LhBackup (file, pipeline, several
# documents), invalid manifests that change nothing, and ConvertTo-LhManifest output that a YAML parser reads back
# with Longhorn's field names and types, and that applies again.

BeforeDiscovery {
    $invalidCases = Get-ChildItem -LiteralPath (Join-Path $PSScriptRoot 'manifests/invalid') -Filter '*.yaml' | Sort-Object Name |
        ForEach-Object {
            $head = @{}
            foreach ($line in Get-Content -LiteralPath $_.FullName) {
                if ($line -notmatch '^#\s*([a-z-]+):\s*(.*)$') { break }
                $head[$Matches[1]] = $Matches[2].Trim()
            }
            @{ File = $_.Name; Path = $_.FullName; Case = $head['case']; Document = [int]$head['document']; Field = $head['field']
               Line = [int]$head['line']; Message = $head['message']; NoVolumeName = "$($head['options'])" -match 'no-volume-name' }
        }
}

BeforeAll {
    Import-Module $env:LONGHORNBACKUP_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:work = New-TestFolder
    $script:image = Join-Path $work 'snap.img'
    New-TestImage -Path $image -SizeMiB 16 -DataBlocks 0, 3, 5
    $script:manifests = Join-Path $PSScriptRoot 'manifests'
    $script:incrementalYaml = Join-Path $manifests 'backup-incremental.yaml'
    $script:fullYaml = Join-Path $manifests 'backup-full.yaml'
}

AfterAll {
    Remove-Item -LiteralPath $script:work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The cmdlet assembly and YAML' {
    It 'LonghornBackup.dll does not reference YamlDotNet (only the engine does, so it can be isolated)' {
        $refs = [LonghornBackup.Commands.NewLhBackupCommand].Assembly.GetReferencedAssemblies().Name
        $refs | Should -Contain 'LonghornBackup.Engine'
        $refs | Should -Not -Contain 'YamlDotNet'
    }
}

Describe 'The seed manifests are Longhorn''s documentation examples, unchanged' {
    It '<_> is the example verbatim' -ForEach 'incremental', 'full' {
        $expected = "apiVersion: longhorn.io/v1beta2`nkind: Backup`nmetadata:`n  name: backup-example`n  namespace: longhorn-system`nspec:`n  backupMode: $_`n  snapshotName: snapshot-name-example`n  labels:`n    app: test`n"
        [IO.File]::ReadAllText((Join-Path $manifests "backup-$_.yaml")) | Should -BeExactly $expected
    }
}

Describe 'New-LhBackup -Manifest with Longhorn''s examples' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:inc = New-LhBackup -Manifest $incrementalYaml -VolumeName vol -Path $image
        # The full example has the same metadata.name: -Name (the command line) overrides it.
        $script:full = New-LhBackup -Manifest $fullYaml -VolumeName vol -Path $image -Name backup-example-full
    }

    It 'the incremental example gives an incremental backup named by metadata.name, with its labels' {
        $inc | Should -BeOfType ([LonghornBackup.Backup])
        $inc.Name | Should -Be 'backup-example'
        $inc.VolumeName | Should -Be 'vol'
        $inc.SnapshotName | Should -Be 'snapshot-name-example'
        $inc.BackupMode | Should -Be 'Incremental'
        $inc.Labels['app'] | Should -Be 'test'
        $inc.NewlyUploadedDataSize | Should -BeGreaterThan (3 * 2MB)   # three random blocks, new to the store
        $inc.ReUploadedDataSize | Should -Be 0
    }

    It 'the full example gives a full backup that re-uploads every block and uploads nothing new' {
        $full.BackupMode | Should -Be 'Full'
        $full.Labels['app'] | Should -Be 'test'
        $full.SnapshotName | Should -Be 'snapshot-name-example'
        $full.NewlyUploadedDataSize | Should -Be 0
        $full.ReUploadedDataSize | Should -Be $inc.NewlyUploadedDataSize
        (Get-LhBackup -VolumeName vol).Name | Should -Be @('backup-example', 'backup-example-full')
    }

    It 'applying a name that exists fails with BackupNameInUse and writes nothing' {
        $before = Get-TreeState $target
        $err = $null
        try { New-LhBackup -Manifest $fullYaml -VolumeName vol -Path $image -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'BackupNameInUse,*'
        $err.CategoryInfo.Category | Should -Be 'ResourceExists'
        "$err" | Should -BeLike '*backup-full.yaml, line 4, metadata.name*'
        $err.ErrorDetails.RecommendedAction | Should -BeLike '*-Name*'
        Get-TreeState $target | Should -Be $before
    }

    It 'resolves a relative -Manifest and -Path against the PowerShell location' {
        Copy-Item -LiteralPath $incrementalYaml -Destination (Join-Path $work 'rel.yaml')
        Push-Location -LiteralPath $work
        try { $b = New-LhBackup -Manifest ./rel.yaml -VolumeName vol-rel -Path ./snap.img }
        finally { Pop-Location }
        $b.VolumeName | Should -Be 'vol-rel'
        $b.Name | Should -Be 'backup-example'
    }

    It '-WhatIf checks the manifest, writes nothing and reports the plan' {
        $before = Get-TreeState $target
        $plan = New-LhBackup -Manifest $incrementalYaml -VolumeName vol-whatif -Path $image -WhatIf
        Get-TreeState $target | Should -Be $before
        $plan | Should -BeOfType ([LonghornBackup.BackupPlan])
        $plan.SnapshotName | Should -Be 'snapshot-name-example'
        $plan.BackupMode | Should -Be 'Incremental'
        $plan.BlocksToUpload | Should -Be 3
    }
}

Describe 'New-LhBackup with manifest text from the pipeline' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:inc = Get-Content -LiteralPath $incrementalYaml -Raw | New-LhBackup -VolumeName vol -Path $image
        # Without -Raw the lines arrive one by one; they are joined back into the document.
        $script:full = Get-Content -LiteralPath $fullYaml | New-LhBackup -VolumeName vol -Path $image -Name backup-example-full
    }

    It 'gives the same backups as the files: mode, labels, metrics' {
        $inc.Name | Should -Be 'backup-example'
        $inc.BackupMode | Should -Be 'Incremental'
        $inc.Labels['app'] | Should -Be 'test'
        $inc.NewlyUploadedDataSize | Should -BeGreaterThan (3 * 2MB)
        $full.BackupMode | Should -Be 'Full'
        $full.Labels['app'] | Should -Be 'test'
        $full.NewlyUploadedDataSize | Should -Be 0
        $full.ReUploadedDataSize | Should -Be $inc.NewlyUploadedDataSize
    }

    It 'applies several documents, each snapshot from its own image, with the volume from the backup-volume label' {
        $image2 = Join-Path $work 'snap2.img'
        New-TestImage -Path $image2 -SizeMiB 16 -DataBlocks 1, 2 -Seed 7
        $yaml = @'
apiVersion: longhorn.io/v1beta2
kind: Backup
metadata:
  name: nightly-a
  labels:
    backup-volume: vol-multi
spec:
  snapshotName: snap-a
  labels:
    app: db
---
apiVersion: longhorn.io/v1beta2
kind: Backup
metadata:
  name: nightly-b
  labels:
    backup-volume: vol-multi
spec:
  snapshotName: snap-b
  backupMode: full
  labels:
    app: db
'@
        $out = $yaml | New-LhBackup -SnapshotPath @{ 'snap-a' = $image; 'snap-b' = $image2 } -Label @{ ticket = '42' }
        $out.Name | Should -Be @('nightly-a', 'nightly-b')
        $out.VolumeName | Should -Be @('vol-multi', 'vol-multi')
        $out.BackupMode | Should -Be @('Incremental', 'Full')
        $out[1].Labels['app'] | Should -Be 'db'
        $out[1].Labels['ticket'] | Should -Be '42'      # -Label adds to spec.labels
        $out[0].Size | Should -Be (3 * 2MB)             # each document read its own image: snap.img has 3 data blocks ...
        $out[1].Size | Should -Be (2 * 2MB)             # ... snap2.img has 2
    }

    It 'command-line values override the manifest' {
        $b = Get-Content -LiteralPath $fullYaml -Raw |
            New-LhBackup -VolumeName vol-o -Path $image -Name over-1 -SnapshotName snap-override -BackupMode Incremental -Label @{ app = 'prod' }
        $b.Name | Should -Be 'over-1'
        $b.SnapshotName | Should -Be 'snap-override'
        $b.BackupMode | Should -Be 'Incremental'
        $b.Labels['app'] | Should -Be 'prod'
    }

    It 'a misspelt field is InvalidManifest naming it, its line and the field meant, as kubectl''s strict validation' {
        $before = Get-TreeState $target
        $yaml = (Get-Content -LiteralPath $incrementalYaml -Raw) -replace '(?m)^  labels:', '  lables:'
        $err = $null
        try { $yaml | New-LhBackup -VolumeName vol-w -Path $image -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidManifest,*'
        "$err" | Should -BeLike "*document 1 (backup-example) of pipeline input, line 9, spec.lables: unknown field 'spec.lables' (did you mean 'labels'?)*"
        Get-TreeState $target | Should -Be $before
    }

    It '-Validation Warn applies it without the field, with a warning naming field and line; -Validation Ignore silently' {
        $yaml = (Get-Content -LiteralPath $incrementalYaml -Raw) + "  retention: 7`n"
        $b = $yaml | New-LhBackup -VolumeName vol-w -Path $image -Validation Warn -WarningVariable w -WarningAction SilentlyContinue
        $b.Name | Should -Be 'backup-example'
        @($w).Count | Should -Be 1
        "$($w[0])" | Should -BeLike '*line 11, spec.retention*unknown field*'
        $b = $yaml | New-LhBackup -VolumeName vol-w -Path $image -Name backup-example-2 -Validation ignore -WarningVariable w
        $b.Name | Should -Be 'backup-example-2'
        @($w).Count | Should -Be 0
    }

    It 'a document with no image fails with SnapshotPathMissing and writes nothing' {
        $before = Get-TreeState $target
        { Get-Content -LiteralPath $incrementalYaml -Raw | New-LhBackup -VolumeName vol-x -ErrorAction Stop } |
            Should -Throw -ErrorId 'SnapshotPathMissing,*'
        Get-TreeState $target | Should -Be $before
    }
}

Describe 'Invalid manifests change nothing' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $null = New-LhBackup -VolumeName vol -SnapshotName s0 -Path $image
        $script:before = Get-TreeState $target
    }

    It '<File>: <Case>' -ForEach $invalidCases {
        $params = @{ Manifest = $Path; Path = $image; ErrorAction = 'Stop' }
        if (-not $NoVolumeName) { $params.VolumeName = 'vol' }
        $err = $null
        try { New-LhBackup @params } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'InvalidManifest,*'
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        $text = "$err"
        $text | Should -BeLike "*$Message*"
        if ($Document -gt 0) { $text | Should -BeLike "*document $Document*" }
        if ($Line -gt 0) { $text | Should -BeLike "*line $Line*" }
        if ($Field) { $text | Should -BeLike "*$Field*" }
        Get-TreeState $target | Should -Be $before
    }

    It 'the same through the pipeline: <File>' -ForEach ($invalidCases | Select-Object -First 3) {
        $params = @{ Path = $image; ErrorAction = 'Stop' }
        if (-not $NoVolumeName) { $params.VolumeName = 'vol' }
        { Get-Content -LiteralPath $Path -Raw | New-LhBackup @params } | Should -Throw -ErrorId 'InvalidManifest,*'
        Get-TreeState $target | Should -Be $before
    }
}

Describe 'ConvertTo-LhManifest' {
    BeforeAll {
        $null = Use-IsolatedTargetSettings
        $script:target = New-TestFolder 'lh-target'
        Set-LhBackupTarget -Url $target
        $script:first = New-LhBackup -VolumeName pvc-1 -SnapshotName 20261126 -Path $image -Label @{ app = 'test'; enabled = 'yes' }
        $script:second = New-LhBackup -VolumeName pvc-1 -SnapshotName snap-2 -Path $image -BackupMode Full -Label @{ app = 'test' }
        $script:yaml = @(Get-LhBackupTarget; Get-LhBackupVolume; Get-LhBackup) | ConvertTo-LhManifest
        $script:docs = ConvertFrom-TestYaml $yaml
    }

    It 'emits one string with one document per object, separated by ---' {
        @($yaml).Count | Should -Be 1
        $yaml | Should -BeOfType ([string])
        @($docs).Count | Should -Be 4
        @($docs | ForEach-Object { $_['kind'] }) | Should -Be @('BackupTarget', 'BackupVolume', 'Backup', 'Backup')
        ($yaml -split "`n" | Where-Object { $_ -eq '---' }).Count | Should -Be 3
    }

    It 'writes a Backup as Longhorn does: names, labels, spec and status with the CRD''s types' {
        $b = $docs[2]
        $b['apiVersion'] | Should -Be 'longhorn.io/v1beta2'
        $b['metadata']['name'] | Should -Be $first.Name
        $b['metadata']['labels']['backup-volume'] | Should -Be 'pvc-1'
        $b['metadata']['labels']['backup-target'] | Should -Be 'default'
        $b['spec']['snapshotName'] | Should -BeOfType ([string])
        $b['spec']['snapshotName'] | Should -Be '20261126'
        $b['spec']['backupMode'] | Should -Be 'incremental'
        $b['spec']['backupBlockSize'] | Should -BeExactly '2097152'
        $b['spec']['labels']['enabled'] | Should -BeExactly 'yes'
        $s = $b['status']
        $s['state'] | Should -Be 'Completed'
        $s['progress'] | Should -Be 100
        $s['progress'] | Should -Not -BeOfType ([string])
        foreach ($key in 'size', 'volumeSize', 'newlyUploadDataSize', 'reUploadedDataSize', 'snapshotCreatedAt', 'backupCreatedAt', 'volumeCreated', 'url') {
            $s[$key] | Should -BeOfType ([string]) -Because "status.$key is a string in Longhorn's CRD"
        }
        $s['size'] | Should -Be "$($first.Size)"
        $s['newlyUploadDataSize'] | Should -Be "$($first.NewlyUploadedDataSize)"
        $s['reUploadedDataSize'] | Should -Be '0'
        $s['volumeSize'] | Should -Be "$(16MB)"
        $s['url'] | Should -Be $first.Url
        $s['compressionMethod'] | Should -Be 'lz4'
        $s['backupTargetName'] | Should -Be 'default'
        $s['volumeName'] | Should -Be 'pvc-1'
        $s['snapshotCreatedAt'] | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$'
        $docs[3]['spec']['backupMode'] | Should -Be 'full'
        $docs[3]['status']['reUploadedDataSize'] | Should -Be "$($second.ReUploadedDataSize)"
    }

    It 'names the BackupVolume by Longhorn''s rule and writes the target with its URL' {
        $sha = [Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes('pvc-1-default'))
        $docs[1]['metadata']['name'] | Should -Be ('pvc-1-' + [Convert]::ToHexString($sha).ToLower().Substring(0, 8))
        $docs[1]['spec']['volumeName'] | Should -Be 'pvc-1'
        $docs[1]['status']['size'] | Should -BeExactly "$(16MB)"
        $docs[1]['status']['lastBackupName'] | Should -Be $second.Name
        $docs[0]['spec']['backupTargetURL'] | Should -Be "vfs://$target"
        $docs[0]['spec']['pollInterval'] | Should -Be '5m0s'
        $docs[0]['status']['available'] | Should -BeTrue
        $docs[0]['status']['available'] | Should -BeOfType ([bool])
    }

    It 'round trip: the exported backup applied again to the same image gives an equivalent backup' {
        $exported = $first | ConvertTo-LhManifest
        # Same target and volume (from the labels); the name is taken there, so the command line gives another.
        $copy = $exported | New-LhBackup -Path $image -Name roundtrip-copy
        $copy.VolumeName | Should -Be $first.VolumeName
        $copy.SnapshotName | Should -Be $first.SnapshotName
        $copy.BackupMode | Should -Be $first.BackupMode
        $copy.Labels['app'] | Should -Be 'test'
        $copy.Labels['enabled'] | Should -Be 'yes'
        $copy.Labels.Count | Should -Be $first.Labels.Count
        $copy.Size | Should -Be $first.Size
        $copy.NewlyUploadedDataSize | Should -Be 0     # the same snapshot: every block is already there
    }

    It '-Path writes the file, and -WhatIf does not' {
        $file = Join-Path $work 'export.yaml'
        $first | ConvertTo-LhManifest -Path $file -WhatIf
        Test-Path -LiteralPath $file | Should -BeFalse
        $first | ConvertTo-LhManifest -Path $file | Should -BeNullOrEmpty
        (Get-Content -LiteralPath $file -Raw) | Should -Be ($first | ConvertTo-LhManifest)
        { $first | ConvertTo-LhManifest -Path $file -NoClobber -ErrorAction Stop } | Should -Throw -ErrorId 'ManifestFileExists,*'
    }

    It 'reports objects that have no Longhorn resource' {
        $out = @(Get-Item -LiteralPath $image; $first) | ConvertTo-LhManifest -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -BeLike 'ManifestInputNotSupported,*'
        @(ConvertFrom-TestYaml $out).Count | Should -Be 1
    }
}
