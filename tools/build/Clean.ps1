# build.ps1 -Task Clean (dot-sourced by build.ps1): removes out/ and every bin/ and obj/ folder of the repository.

function Invoke-Clean {
    Write-Step 'Clean'
    if (Test-Path -LiteralPath $OutDir) { Remove-Item -LiteralPath $OutDir -Recurse -Force }
    foreach ($top in 'src', 'tests', 'tools', 'examples', 'bench') {
        $dir = Join-Path $Root $top
        if (-not (Test-Path -LiteralPath $dir)) { continue }
        Get-ChildItem -LiteralPath $dir -Directory -Recurse -Force |
            Where-Object { $_.Name -in 'bin', 'obj' -and (Test-Path -LiteralPath $_.FullName) } |
            Sort-Object { $_.FullName.Length } |
            ForEach-Object {
                if (Test-Path -LiteralPath $_.FullName) {
                    Write-Host "    removing $([IO.Path]::GetRelativePath($Root, $_.FullName))"
                    Remove-Item -LiteralPath $_.FullName -Recurse -Force
                }
            }
    }
}
