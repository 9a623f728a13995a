# Shared helpers of the Pester suite: sparse test images and isolated target settings.

# A sparse image of $SizeMiB MiB with seeded random 2 MiB blocks at the given block indexes.
function New-TestImage {
    param([string] $Path, [int] $SizeMiB = 32, [int[]] $DataBlocks = @(0, 3, 4, 9), [int] $Seed = 1)
    $fs = [IO.File]::Open($Path, [IO.FileMode]::Create, [IO.FileAccess]::Write)
    try {
        $fs.SetLength([long]$SizeMiB * 1MB)
        foreach ($i in $DataBlocks) { Write-TestBlock -Stream $fs -Index $i -Seed ($Seed * 1000 + $i) }
    }
    finally { $fs.Dispose() }
}

# Overwrites 2 MiB block $Index of the image with new seeded random data.
function Set-TestBlock {
    param([string] $Path, [int] $Index, [int] $Seed)
    $fs = [IO.File]::Open($Path, [IO.FileMode]::Open, [IO.FileAccess]::Write)
    try { Write-TestBlock -Stream $fs -Index $Index -Seed $Seed } finally { $fs.Dispose() }
}

function Write-TestBlock([IO.Stream] $Stream, [int] $Index, [int] $Seed) {
    $buffer = [byte[]]::new(2MB)
    [Random]::new($Seed).NextBytes($buffer)
    $null = $Stream.Seek([long]$Index * 2MB, [IO.SeekOrigin]::Begin)
    $Stream.Write($buffer, 0, $buffer.Length)
}

# Points the module's per-user settings at a fresh folder, so tests never see each other's or the user's targets.
function Use-IsolatedTargetSettings {
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("lh-pester-config-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Path $dir
    $env:LONGHORNBACKUP_CONFIG_DIR = $dir
    return $dir
}

function New-TestFolder([string] $Prefix = 'lh-pester') {
    $dir = Join-Path ([IO.Path]::GetTempPath()) ("$Prefix-" + [guid]::NewGuid().ToString('N'))
    (New-Item -ItemType Directory -Path $dir).FullName
}

# Every file below a folder with its SHA-256, to prove a failed command changed nothing.
function Get-TreeState([string] $Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return '' }
    (Get-ChildItem -LiteralPath $Path -Recurse -File | Sort-Object FullName |
        ForEach-Object { "$($_.FullName)=$((Get-FileHash -LiteralPath $_.FullName).Hash)" }) -join "`n"
}

# Reads a YAML stream with a generic YAML parser (YamlDotNet as shipped in the module folder, not the module's own
# manifest code): one dictionary per document, unquoted scalars typed as YAML types them (int, bool, ...), quoted
# ones kept as strings. ConvertFrom-Yaml is not part of PowerShell.
function ConvertFrom-TestYaml {
    param([Parameter(Mandatory, ValueFromPipeline)][string] $Yaml)
    $moduleBase = Split-Path -Parent $env:LONGHORNBACKUP_TEST_MODULE
    $dll = Get-ChildItem -LiteralPath $moduleBase -Recurse -File -Filter 'YamlDotNet.dll' | Select-Object -First 1
    if (-not $dll) { throw "YamlDotNet.dll is not in $moduleBase." }
    Add-Type -LiteralPath $dll.FullName
    $deserializer = [YamlDotNet.Serialization.DeserializerBuilder]::new().WithAttemptingUnquotedStringTypeDeserialization().Build()
    $parser = [YamlDotNet.Core.Parser]::new([IO.StringReader]::new($Yaml))
    $null = $parser.MoveNext()   # StreamStart
    $null = $parser.MoveNext()
    $docs = [Collections.Generic.List[object]]::new()
    while ($parser.Current -is [YamlDotNet.Core.Events.DocumentStart]) {
        $docs.Add($deserializer.Deserialize($parser, [Collections.Generic.Dictionary[object, object]]))
    }
    , $docs.ToArray()
}

# How to start a fresh process of the PowerShell running the tests: the local tool runs as `dotnet <PSHOME>/pwsh.dll`,
# an installed pwsh as its own executable.
function Get-FreshPwsh {
    $exe = [Environment]::ProcessPath
    [string[]] $arguments = if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' } else { @() }
    [pscustomobject]@{ Path = $exe; Arguments = $arguments }
}

# The staged module manifest as data. Import-PowerShellDataFile refuses it, because RootModule depends on
# $PSEdition; that one value is evaluated for the edition asked, every other value is read as a constant.
function Read-ModuleManifest([string] $Path, [string] $Edition = $PSEdition) {
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$errors)
    if ($errors) { throw "Cannot parse ${Path}: $($errors[0])" }
    $hash = $ast.Find({ param($n) $n -is [System.Management.Automation.Language.HashtableAst] }, $false)
    $data = @{}
    foreach ($pair in $hash.KeyValuePairs) {
        $value = $pair.Item2
        $pure = if ($value -is [System.Management.Automation.Language.PipelineAst]) { $value.GetPureExpression() }
        $data[$pair.Item1.Value] = if ($pure) { $pure.SafeGetValue() } else {
            $text = $value.Extent.Text -replace '\$PSEdition\b', '$edition'
            & ([scriptblock]::Create("param(`$edition) $text")) $Edition
        }
    }
    $data
}

# Runs a script in a fresh pwsh (a user's new session); returns every line it printed (host, warnings and output).
function Invoke-FreshSessionText([string] $Script) {
    $fresh = Get-FreshPwsh
    [string[]] $pre = $fresh.Arguments
    $file = Join-Path ([IO.Path]::GetTempPath()) ("lh-session-" + [guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content -LiteralPath $file -Value $Script
    try { $out = & $fresh.Path @pre -NoProfile -NonInteractive -File $file 2>&1 }
    finally { Remove-Item -LiteralPath $file -Force }
    if ($LASTEXITCODE -ne 0) { throw "fresh session failed: $($out | Out-String)" }
    $out | ForEach-Object { "$_" }
}

# Runs a script in a fresh pwsh and returns the last thing it printed, parsed as JSON.
function Invoke-FreshSession([string] $Script) {
    @(Invoke-FreshSessionText $Script)[-1] | ConvertFrom-Json
}

Export-ModuleMember -Function Get-FreshPwsh, Invoke-FreshSession, Invoke-FreshSessionText, Read-ModuleManifest, New-TestImage, Set-TestBlock, Use-IsolatedTargetSettings, New-TestFolder, Get-TreeState, ConvertFrom-TestYaml
