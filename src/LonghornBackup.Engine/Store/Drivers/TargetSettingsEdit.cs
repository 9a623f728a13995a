namespace LonghornBackup.Engine.Store.Drivers;

/// <summary>What <see cref="ITargetSettingsEditor.Edit"/> gives: the settings to save, the keys to store first, and notes.</summary>
public sealed record TargetSettingsEdit(object? Settings)
{
    /// <summary>Keys to store before the target is saved (an AWS profile, an owner-only Secret file); null: none.</summary>
    public PendingCredentials? Credentials { get; init; }

    /// <summary>Values given that will not be used (a -Region the URL's region overrides).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}

/// <summary>
/// Keys to store once the change is confirmed: <see cref="Description"/> says what for -WhatIf and the confirmation,
/// <see cref="Store"/> writes them and returns the sentence saying where they went. Never a value.
/// </summary>
public sealed record PendingCredentials(string Description, Func<string> Store);
