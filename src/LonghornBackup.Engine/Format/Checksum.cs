using System.Security.Cryptography;

namespace LonghornBackup.Engine.Format;

/// <summary>
/// Longhorn's "checksum": SHA-512 of the input, lower-case hex, truncated to 64 characters
/// (backupstore util.GetChecksum). Names blocks and hashes volume directories.
/// </summary>
public static class Checksum
{
    public const int Length = 64;

    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[64];
        SHA512.HashData(data, hash);
        // 64 hex characters = the first 32 bytes of the digest.
        return Convert.ToHexString(hash[..32]).ToLowerInvariant();
    }

    public static string OfString(string text) => Of(System.Text.Encoding.UTF8.GetBytes(text));

    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != Length) return false;
        foreach (char c in value)
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        return true;
    }
}
