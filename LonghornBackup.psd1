#
# Module manifest for LonghornBackup (source copy).
#
# ModuleVersion below is a placeholder: build.ps1 stages this file to out/LonghornBackup/ with
# ModuleVersion replaced by <Version> from Directory.Build.props (the one version source).
# Import the staged module, not this file.
#
@{
    # PowerShell 7.4+ loads the .NET 8 build, Windows PowerShell 5.1 the .NET Framework 4.7.2 build.
    RootModule           = if ($PSEdition -eq 'Core') { 'bin/net8.0/LonghornBackup.dll' } else { 'bin/net472/LonghornBackup.dll' }
    ModuleVersion        = '0.0.0'
    GUID                 = '9485bfc8-5907-40ab-b5b3-b56016c23d38'
    Author               = 'LonghornBackup contributors'
    CompanyName          = 'LonghornBackup'
    Copyright            = '(c) LonghornBackup contributors.'
    Description          = 'Back up raw volume images to, and restore them from, Longhorn backupstores (S3 or filesystem targets) in the format Longhorn itself reads and writes.'
    CompatiblePSEditions = @('Core', 'Desktop')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('LonghornBackup.Format.ps1xml')
    CmdletsToExport      = @(
        'Set-LhBackupTarget'
        'Get-LhBackupTarget'
        'Remove-LhBackupTarget'
        'Test-LhBackupTarget'
        'Dismount-LhBackupTarget'
        'New-LhBackup'
        'Get-LhBackup'
        'Get-LhBackupVolume'
        'Restore-LhBackup'
        'ConvertTo-LhManifest'
        'Remove-LhBackup'
        'Remove-LhBackupVolume'
        'Repair-LhBackupVolume'
        'Test-LhBackup'
        'Measure-LhBackup'
        'Get-LhSnapshot'
        'Export-LhSnapshot'
        'Start-LhBackupExport'
        'Get-LhBackupExport'
        'Stop-LhBackupExport'
        'Mount-LhBackup'
        'Dismount-LhBackup'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('Longhorn', 'Backup', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux', 'Windows')
        }
    }
}
