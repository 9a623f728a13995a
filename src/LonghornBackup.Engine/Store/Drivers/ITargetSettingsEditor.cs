using LonghornBackup.Engine.Targets;

namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>
/// How Set-LhBackupTarget sets a target of one kind from the options given on the command line: which options the kind
/// takes and which of its settings -Clear removes, and the settings that result from the saved ones. Only what was
/// given or cleared changes; everything else, stored keys included, is kept. Kinds without options (folders, NFS) do
/// not implement it.
/// </summary>
public interface ITargetSettingsEditor
{
    /// <summary>The Set-LhBackupTarget parameters (<see cref="TargetOptions"/> names) this kind takes.</summary>
    IReadOnlyCollection<string> Options { get; }

    /// <summary>The settings of this kind that -Clear removes (e.g. EndpointUrl, Credential).</summary>
    IReadOnlyCollection<string> Clearable { get; }

    /// <summary>
    /// The kind's settings after <paramref name="options"/>. <paramref name="saved"/> is the target's definition when it
    /// is of this kind already, else null (a new target, or one that changes kind: then only what is given counts).
    /// Every value is checked here; a bad one throws, and nothing is saved or stored.
    /// </summary>
    /// <param name="configDirectory">The folder of targets.json, where Secret files the module writes go.</param>
    TargetSettingsEdit Edit(TargetUrl url, string name, BackupTargetDefinition? saved, TargetOptions options, string configDirectory);
}
