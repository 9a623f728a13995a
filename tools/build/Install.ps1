# build.ps1 -Task Install and -Task Package (dot-sourced by build.ps1; the functions take everything they use as
# parameters, so tests can dot-source this file and call them on their own).

# The modules folder PowerShell 7 puts on PSModulePath for the scope, where Install-Module and Install-PSResource put
# modules: CurrentUser is $XDG_DATA_HOME/powershell/Modules (~/.local/share/powershell/Modules) on Linux and macOS,
# Documents\PowerShell\Modules on Windows; AllUsers is /usr/local/share/powershell/Modules, or
# $env:ProgramFiles\PowerShell\Modules on Windows. Neither depends on $PSHOME, so they outlive PowerShell updates.
function Get-ModuleInstallRoot {
    param([ValidateSet('CurrentUser', 'AllUsers')] [string] $Scope = 'CurrentUser')
    if ($IsWindows) {
        if ($Scope -eq 'AllUsers') { return Join-Path $env:ProgramFiles 'PowerShell\Modules' }
        return Join-Path ([Environment]::GetFolderPath('MyDocuments')) 'PowerShell\Modules'
    }
    if ($Scope -eq 'AllUsers') { return '/usr/local/share/powershell/Modules' }
    $dataHome = if ([string]::IsNullOrEmpty($env:XDG_DATA_HOME)) { Join-Path $HOME '.local/share' } else { $env:XDG_DATA_HOME }
    return Join-Path $dataHome 'powershell/Modules'
}

function Test-Elevated {
    if ($IsWindows) {
        $principal = [Security.Principal.WindowsPrincipal]::new([Security.Principal.WindowsIdentity]::GetCurrent())
        return $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    }
    return "$(& id -u)".Trim() -eq '0'
}

# The staged module's manifest, checked, with the values packaging needs.
function Get-StagedModuleInfo([string] $StageDir) {
    $manifest = Join-Path $StageDir 'LonghornBackup.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        throw "No staged module at ${StageDir}: run build.ps1 -Task Build first, or leave out -NoBuild."
    }
    Test-ModuleManifest -Path $manifest -ErrorAction Stop
}

# Copies the staged module to <modules folder>/LonghornBackup/<version>/, replacing an installed copy of that version
# (other versions stay). -Destination is a modules folder that replaces the scope's (tests, packaging, images).
function Install-StagedModule {
    param(
        [Parameter(Mandatory)] [string] $StageDir,
        [ValidateSet('CurrentUser', 'AllUsers')] [string] $Scope = 'CurrentUser',
        [string] $Destination
    )
    $info = Get-StagedModuleInfo $StageDir
    if ($Destination) {
        $root = [IO.Path]::GetFullPath($Destination, (Get-Location).ProviderPath)
    }
    else {
        $root = Get-ModuleInstallRoot -Scope $Scope
        if ($Scope -eq 'AllUsers' -and -not (Test-Elevated)) {
            throw "Installing for all users writes to ${root}: run as root (sudo) or from an elevated PowerShell, or use -Scope CurrentUser."
        }
    }
    $target = Join-Path $root "$($info.Name)/$($info.Version)"
    Write-Step "Installing $($info.Name) $($info.Version) ($(if ($Destination) { '-Destination' } else { $Scope })) to $target"

    # Copy next to the target first, then swap, so a failed copy never leaves half a module where PowerShell looks.
    $parent = Split-Path -Parent $target
    $null = New-Item -ItemType Directory -Path $parent -Force
    $incoming = Join-Path $parent (".installing-" + [guid]::NewGuid().ToString('N'))
    try {
        Copy-Item -LiteralPath $StageDir -Destination $incoming -Recurse
        if (Test-Path -LiteralPath $target) {
            Write-Host "    replacing the installed $($info.Version)"
            try { Remove-Item -LiteralPath $target -Recurse -Force }
            catch { throw "Cannot replace $target (is the module loaded in a running PowerShell? close it and retry): $($_.Exception.Message)" }
        }
        Move-Item -LiteralPath $incoming -Destination $target
    }
    finally {
        if (Test-Path -LiteralPath $incoming) { Remove-Item -LiteralPath $incoming -Recurse -Force -ErrorAction SilentlyContinue }
    }

    $onPath = @($env:PSModulePath -split [IO.Path]::PathSeparator | Where-Object { $_ } |
        ForEach-Object { [IO.Path]::TrimEndingDirectorySeparator([IO.Path]::GetFullPath($_)) }) -contains [IO.Path]::TrimEndingDirectorySeparator($root)
    if ($onPath) { Write-Host "    Import-Module $($info.Name) now loads it in new sessions." }
    else { Write-Host "    $root is not on PSModulePath: import it with Import-Module $(Join-Path $target "$($info.Name).psd1")." }
    return $target
}

# The examples and scheduled tasks run `pwsh`. Most Longhorn admins have it from Microsoft's packages; the README's
# set-up gives only the repository's local tool (`dotnet pwsh`, found from inside the clone). So when no pwsh is on
# PATH, Install writes a pwsh launcher for the PowerShell running this build, with absolute paths (it works from any
# folder and under a bare PATH): ~/.local/bin/pwsh for CurrentUser, /usr/local/bin/pwsh for AllUsers. A pwsh that is
# not ours is never replaced; our own launcher is rewritten (a newer pinned PowerShell).
$script:PwshLauncherMark = '# LonghornBackup pwsh launcher'

function Get-PwshLauncherFolder {
    param([ValidateSet('CurrentUser', 'AllUsers')] [string] $Scope = 'CurrentUser')
    if ($Scope -eq 'AllUsers') { return '/usr/local/bin' }
    return Join-Path $HOME '.local/bin'
}

function Install-PwshLauncher {
    param([ValidateSet('CurrentUser', 'AllUsers')] [string] $Scope = 'CurrentUser', [string] $Folder)
    if ($IsWindows) {
        Write-Host '    pwsh: the examples need PowerShell 7.4 or later (winget install Microsoft.PowerShell).'
        return $null
    }
    if (-not $Folder) { $Folder = Get-PwshLauncherFolder -Scope $Scope }
    $launcher = Join-Path $Folder 'pwsh'
    # PowerShell puts its own folder first on its PATH; what counts is the PATH a new shell has.
    $found = $env:PATH -split [IO.Path]::PathSeparator | Where-Object { $_ -and $_.TrimEnd('/') -ne $PSHOME.TrimEnd('/') } |
        ForEach-Object { Join-Path $_ 'pwsh' } | Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
    if ($found -and $found -ne $launcher) {
        Write-Host "    pwsh on PATH runs the examples: $found"
        return $null
    }
    if ((Test-Path -LiteralPath $launcher) -and -not (Select-String -LiteralPath $launcher -SimpleMatch $PwshLauncherMark -Quiet)) {
        Write-Host "    $launcher exists and is not LonghornBackup's launcher: left as it is."
        return $null
    }
    # dotnet runs the local tool's pwsh.dll; any other host is pwsh itself.
    $quote = { param($s) "'" + ($s -replace "'", "'\''") + "'" }
    $process = [Environment]::ProcessPath
    $command = if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') {
        "exec $(& $quote $process) $(& $quote (Join-Path $PSHOME 'pwsh.dll')) `"`$@`""
    } else { "exec $(& $quote $process) `"`$@`"" }
    $text = "#!/bin/sh`n$PwshLauncherMark`: PowerShell $($PSVersionTable.PSVersion), as build.ps1 -Task Install found it.`n" +
        "# Delete this file once PowerShell is installed from Microsoft's packages.`n$command`n"
    $null = New-Item -ItemType Directory -Path $Folder -Force
    [IO.File]::WriteAllText($launcher, $text)
    & chmod 755 $launcher
    Write-Step "Wrote the pwsh launcher $launcher (PowerShell $($PSVersionTable.PSVersion))"
    $onPath = @($env:PATH -split [IO.Path]::PathSeparator | ForEach-Object { $_.TrimEnd('/') }) -contains $Folder.TrimEnd('/')
    if (-not $onPath) { Write-Host "    $Folder is not on PATH here: new login shells add ~/.local/bin on Debian and Ubuntu; elsewhere add it, or run $launcher." }
    return $launcher
}

# Makes out/<name>.<version>.nupkg: the module's files at the package root and a .nuspec with the metadata PowerShellGet
# and PSResourceGet read (id, version, authors, description, tags PSModule, PSCmdlet_*, PSEdition_*), plus the OPC
# parts NuGet packages carry. Install-PSResource (or Install-Module) from a repository holding it installs the module.
function New-ModulePackage {
    param([Parameter(Mandatory)] [string] $StageDir, [Parameter(Mandatory)] [string] $OutputDir)
    $info = Get-StagedModuleInfo $StageDir
    $id = $info.Name
    $version = "$($info.Version)"
    $cmdlets = @($info.ExportedCmdlets.Keys | Sort-Object)
    $tags = [Collections.Generic.List[string]]::new()
    foreach ($t in @('PSModule') + @($info.Tags) + @('PSIncludes_Cmdlet') + @($cmdlets | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" })) {
        if ($t -and -not $tags.Contains($t)) { $tags.Add($t) }
    }
    $x = { param($s) [Security.SecurityElement]::Escape("$s") }
    $nuspec = @"
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd">
  <metadata>
    <id>$(& $x $id)</id>
    <version>$(& $x $version)</version>
    <authors>$(& $x $info.Author)</authors>
    <owners>$(& $x $info.CompanyName)</owners>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <description>$(& $x $info.Description)</description>
    <copyright>$(& $x $info.Copyright)</copyright>
    <tags>$(& $x ($tags -join ' '))</tags>
  </metadata>
</package>
"@
    $files = @(Get-ChildItem -LiteralPath $StageDir -File -Recurse | Sort-Object FullName)
    $extensions = @($files | ForEach-Object { $_.Extension.TrimStart('.') } | Where-Object { $_ } | Sort-Object -Unique)
    $contentTypes = '<?xml version="1.0" encoding="utf-8"?>' + "`n" +
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' + "`n" +
        '  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />' + "`n" +
        '  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />' + "`n" +
        '  <Default Extension="nuspec" ContentType="application/octet" />' + "`n" +
        (($extensions | Where-Object { $_ -notin 'rels', 'psmdcp', 'nuspec' } |
            ForEach-Object { "  <Default Extension=`"$(& $x $_)`" ContentType=`"application/octet`" />`n" }) -join '') +
        '</Types>'
    $coreName = [guid]::NewGuid().ToString('N') + '.psmdcp'
    $rels = @"
<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/$id.nuspec" Id="R$([guid]::NewGuid().ToString('N').Substring(0, 16))" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/package/services/metadata/core-properties/$coreName" Id="R$([guid]::NewGuid().ToString('N').Substring(0, 16))" />
</Relationships>
"@
    $core = @"
<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>$(& $x $info.Author)</dc:creator>
  <dc:description>$(& $x $info.Description)</dc:description>
  <dc:identifier>$(& $x $id)</dc:identifier>
  <version>$(& $x $version)</version>
  <keywords>$(& $x ($tags -join ' '))</keywords>
  <lastModifiedBy>LonghornBackup build.ps1</lastModifiedBy>
</coreProperties>
"@

    $null = New-Item -ItemType Directory -Path $OutputDir -Force
    $package = Join-Path $OutputDir "$id.$version.nupkg"
    Write-Step "Packaging $id $version to $package"
    if (Test-Path -LiteralPath $package) { Remove-Item -LiteralPath $package -Force }
    $utf8 = [Text.UTF8Encoding]::new($false)
    $zip = [IO.Compression.ZipFile]::Open($package, [IO.Compression.ZipArchiveMode]::Create)
    try {
        $addText = {
            param($name, $text)
            $entry = $zip.CreateEntry($name, [IO.Compression.CompressionLevel]::Optimal)
            $w = [IO.StreamWriter]::new($entry.Open(), $utf8)
            try { $w.Write($text) } finally { $w.Dispose() }
        }
        & $addText "$id.nuspec" $nuspec
        foreach ($f in $files) {
            # Part names are URIs: each path segment escaped, '/' between them.
            $relative = [IO.Path]::GetRelativePath($StageDir, $f.FullName) -split '[\\/]'
            $name = ($relative | ForEach-Object { [Uri]::EscapeDataString($_) }) -join '/'
            $null = [IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $f.FullName, $name, [IO.Compression.CompressionLevel]::Optimal)
        }
        & $addText '[Content_Types].xml' $contentTypes
        & $addText '_rels/.rels' $rels
        & $addText "package/services/metadata/core-properties/$coreName" $core
    }
    finally { $zip.Dispose() }
    Write-Host "    $($files.Count) module files; tags: $($tags -join ' ')"
    return $package
}
