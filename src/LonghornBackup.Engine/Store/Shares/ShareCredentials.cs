namespace LonghornBackup.Engine.Store.Shares;

/// <summary>
/// A CIFS user name and password and where they came from (never the values in <see cref="Source"/>). ToString shows
/// no password, so the object is safe in a message or a debugger.
/// </summary>
public sealed record ShareCredentials(string? UserName, string? Password, string Source)
{
    public override string ToString() => $"user '{UserName}' from {Source}";
}
