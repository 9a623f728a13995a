#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the module's MAML help (en-US/LonghornBackup.dll-Help.xml) from docs/help/*.md and the built cmdlets.
.DESCRIPTION
    platyPS is not available here, so the project keeps its own small generator. Prose (synopsis, description,
    examples, parameter text, notes) comes from one markdown file per cmdlet (shape: docs/help/README.md); syntax,
    parameter types, positions, mandatory flags, pipeline input, input and output types come from the imported
    module, so they can never drift from the code. Fails when a cmdlet has no help file or a section is missing.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SourceDir,
    [Parameter(Mandatory)] [string] $OutputPath
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$module = Import-Module $ModulePath -PassThru -Force
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

# Splits one help markdown file into its sections: SYNOPSIS, DESCRIPTION, NOTES as text; EXAMPLES and PARAMETERS as lists.
function Read-HelpSource([string] $Path) {
    $lines = Get-Content -LiteralPath $Path
    $help = @{ Examples = [Collections.Generic.List[object]]::new(); Parameters = @{} ; Sections = @{} }
    $section = $null; $sub = $null; $buffer = [Collections.Generic.List[string]]::new()
    $flush = {
        if ($null -eq $section) { return }
        $text = ($buffer -join "`n").Trim()
        if ($section -eq 'EXAMPLES' -and $sub) {
            $m = [regex]::Match($text, '(?s)^```powershell\s*\n(.*?)\n```\s*(.*)$')
            if (-not $m.Success) { throw "${Path}: example '$sub' needs a ```powershell block first." }
            $help.Examples.Add([pscustomobject]@{ Title = $sub; Code = $m.Groups[1].Value.TrimEnd(); Remarks = $m.Groups[2].Value.Trim() })
        }
        elseif ($section -eq 'PARAMETERS' -and $sub) { $help.Parameters[$sub.TrimStart('-')] = $text }
        elseif ($section -notin 'EXAMPLES', 'PARAMETERS') { $help.Sections[$section] = $text }
        $buffer.Clear()
    }
    $inCode = $false
    foreach ($line in $lines) {
        if ($line.StartsWith('```')) { $inCode = -not $inCode }
        if (-not $inCode -and $line -match '^## (.+)$') { & $flush; $section = $Matches[1].Trim().ToUpperInvariant(); $sub = $null; continue }
        if (-not $inCode -and $line -match '^### (.+)$') { & $flush; $sub = $Matches[1].Trim(); continue }
        if (-not $inCode -and $line -match '^# ') { continue }
        $buffer.Add($line)
    }
    & $flush
    return $help
}

function Split-Paragraphs([string] $text) {
    if ([string]::IsNullOrWhiteSpace($text)) { return @() }
    @([regex]::Split($text.Trim(), '\n\s*\n') | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() } | Where-Object { $_ })
}

$settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Force -Path (Split-Path $OutputPath)
$w = [Xml.XmlWriter]::Create($OutputPath, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmdNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
function Write-Paras([string] $prefix, [string] $name, [string] $ns, [string[]] $paras) {
    $w.WriteStartElement($prefix, $name, $ns)
    foreach ($p in $paras) { $w.WriteElementString('maml', 'para', $maml, $p) }
    $w.WriteEndElement()
}
# Int32 for [Nullable[int]], so the syntax reads as users type it.
function Get-TypeName([type] $t) { $u = [Nullable]::GetUnderlyingType($t); if ($u) { $u.Name } else { $t.Name } }

function Get-PipelineText($attr) {
    $kinds = @()
    if ($attr.ValueFromPipeline) { $kinds += 'ByValue' }
    if ($attr.ValueFromPipelineByPropertyName) { $kinds += 'ByPropertyName' }
    if ($kinds) { "True ($($kinds -join ', '))" } else { 'False' }
}

$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$missing = @()
foreach ($cmd in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
    $source = Join-Path $SourceDir "$($cmd.Name).md"
    if (-not (Test-Path -LiteralPath $source)) { $missing += "$($cmd.Name): no $source"; continue }
    $help = Read-HelpSource $source
    foreach ($s in 'SYNOPSIS', 'DESCRIPTION') { if (-not $help.Sections[$s]) { $missing += "$($cmd.Name): no $s" } }
    if ($help.Examples.Count -lt 2) { $missing += "$($cmd.Name): fewer than two examples" }
    $params = @($cmd.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name)
    foreach ($p in $params) { if (-not $help.Parameters[$p.Name]) { $missing += "$($cmd.Name): no text for -$($p.Name)" } }

    $w.WriteStartElement('command', 'command', $cmdNs)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $cmdNs)
    $w.WriteElementString('command', 'name', $cmdNs, $cmd.Name)
    $w.WriteElementString('command', 'verb', $cmdNs, $cmd.Verb)
    $w.WriteElementString('command', 'noun', $cmdNs, $cmd.Noun)
    Write-Paras 'maml' 'description' $maml (Split-Paragraphs $help.Sections['SYNOPSIS'])
    $w.WriteEndElement()
    Write-Paras 'maml' 'description' $maml (Split-Paragraphs $help.Sections['DESCRIPTION'])

    $w.WriteStartElement('command', 'syntax', $cmdNs)
    foreach ($set in $cmd.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $cmdNs)
        $w.WriteElementString('maml', 'name', $maml, $cmd.Name)
        foreach ($p in ($set.Parameters | Where-Object { $_.Name -notin $common } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, Name)) {
            $w.WriteStartElement('command', 'parameter', $cmdNs)
            $w.WriteAttributeString('required', "$($p.IsMandatory)".ToLower())
            $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { "$($p.Position)" } else { 'named' }))
            $w.WriteAttributeString('pipelineInput', $(Get-PipelineText $p))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                $w.WriteStartElement('command', 'parameterValue', $cmdNs)
                $w.WriteAttributeString('required', 'true')
                $w.WriteString((Get-TypeName $p.ParameterType))
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $cmdNs)
    foreach ($p in $params) {
        $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $w.WriteStartElement('command', 'parameter', $cmdNs)
        $w.WriteAttributeString('required', "$(@($attrs | Where-Object Mandatory).Count -gt 0)".ToLower())
        $pos = @($attrs | Where-Object { $_.Position -ge 0 } | Select-Object -First 1)
        $w.WriteAttributeString('position', $(if ($pos) { "$($pos[0].Position)" } else { 'named' }))
        $pipe = @($attrs | ForEach-Object { Get-PipelineText $_ } | Where-Object { $_ -ne 'False' } | Select-Object -First 1)
        $w.WriteAttributeString('pipelineInput', $(if ($pipe) { $pipe[0] } else { 'False' }))
        $w.WriteAttributeString('globbing', "$(@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }).Count -gt 0)".ToLower())
        $w.WriteElementString('maml', 'name', $maml, $p.Name)
        Write-Paras 'maml' 'description' $maml (Split-Paragraphs $help.Parameters[$p.Name])
        if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
            $w.WriteStartElement('command', 'parameterValue', $cmdNs); $w.WriteAttributeString('required', 'true'); $w.WriteString((Get-TypeName $p.ParameterType)); $w.WriteEndElement()
        }
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, (Get-TypeName $p.ParameterType)); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'inputTypes', $cmdNs)
    $inputs = @($params | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName) } })
    $w.WriteStartElement('command', 'inputType', $cmdNs)
    $w.WriteStartElement('dev', 'type', $dev)
    $w.WriteElementString('maml', 'name', $maml, $(if ($inputs) { 'Objects with the properties ' + (($inputs | ForEach-Object Name) -join ', ') } else { 'None' }))
    $w.WriteEndElement(); $w.WriteEndElement(); $w.WriteEndElement()

    $w.WriteStartElement('command', 'returnValues', $cmdNs)
    foreach ($t in $cmd.OutputType) {
        $w.WriteStartElement('command', 'returnValue', $cmdNs)
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $t.Name); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    if ($help.Sections['NOTES']) {
        $w.WriteStartElement('maml', 'alertSet', $maml); $w.WriteStartElement('maml', 'alert', $maml)
        foreach ($para in (Split-Paragraphs $help.Sections['NOTES'])) { $w.WriteElementString('maml', 'para', $maml, $para) }
        $w.WriteEndElement(); $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'examples', $cmdNs)
    $i = 0
    foreach ($ex in $help.Examples) {
        $i++
        $w.WriteStartElement('command', 'example', $cmdNs)
        $w.WriteElementString('maml', 'title', $maml, "--------- $($ex.Title) ---------")
        $w.WriteElementString('dev', 'code', $dev, $ex.Code)
        Write-Paras 'dev' 'remarks' $dev (Split-Paragraphs $ex.Remarks)
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()   # command
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Dispose()
if ($missing) {
    Remove-Item -LiteralPath $OutputPath -Force
    throw "Help is incomplete:`n  " + ($missing -join "`n  ")
}
Write-Host "Wrote $OutputPath"
