using System.Buffers;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A driver that can read an object straight into a caller's buffer (the filesystem driver reads in place); the
/// others are read whole and copied. Optional, so a driver needs only the five operations of IObjectStore.
/// </summary>
public interface IBufferedObjectReader
{
    /// <summary>Appends the whole object to <paramref name="destination"/>; false when it does not exist.</summary>
    Task<bool> ReadToAsync(string key, IBufferWriter<byte> destination, CancellationToken cancellationToken);
}

public static class BufferedObjectReads
{
    /// <summary>
    /// Appends the whole object to <paramref name="destination"/> (a reusable buffer, so reading blocks allocates
    /// nothing per block when the driver can read in place); false when it does not exist.
    /// </summary>
    public static async Task<bool> ReadToAsync(this IObjectStore store, string key, IBufferWriter<byte> destination, CancellationToken cancellationToken)
    {
        if (store is IBufferedObjectReader reader)
            return await reader.ReadToAsync(key, destination, cancellationToken).ConfigureAwait(false);
        var data = await store.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (data is null) return false;
        destination.Write(data);
        return true;
    }
}
