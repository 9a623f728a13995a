using System.Buffers;

namespace LonghornBackup.Engine.Store;

/// <summary>
/// A driver that can read an object straight into a caller's buffer (the filesystem driver reads in place); the
/// others are read whole and copied. Optional, so a driver needs only the five operations of IObjectStore.
/// </summary>
internal interface IBufferedObjectReader
{
    /// <summary>
    /// Replaces the content of <paramref name="destination"/> with the whole object; false when it does not exist.
    /// The body is not checked against a transport checksum (S3's ETag MD5): this is for blocks, which carry a
    /// stronger one, and the caller verifies each block and reads it again when that fails
    /// (BlockVerifier.ReadVerifiedAsync).
    /// </summary>
    Task<bool> ReadToAsync(string key, ArrayBufferWriter<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// Reads the whole object into the start of <paramref name="destination"/> when it fits, and returns its length; -1
    /// when it does not exist. An object longer than the buffer returns a length beyond it, with nothing useful in
    /// the buffer (the caller reads it with <see cref="ReadToAsync"/>). Same transport checks as ReadToAsync.
    /// </summary>
    Task<int> ReadIntoAsync(string key, byte[] destination, CancellationToken cancellationToken);
}

internal static class BufferedObjectReads
{
    /// <summary>
    /// Replaces the content of <paramref name="destination"/> (a reusable buffer, so reading blocks allocates nothing
    /// per block when the driver can read in place) with the whole object; false when it does not exist.
    /// </summary>
    public static async Task<bool> ReadToAsync(this IObjectStore store, string key, ArrayBufferWriter<byte> destination, CancellationToken cancellationToken)
    {
        if (store is IBufferedObjectReader reader)
            return await reader.ReadToAsync(key, destination, cancellationToken).ConfigureAwait(false);
        var data = await store.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        destination.ResetWrittenCount();
        if (data is null) return false;
        destination.Write(data);
        return true;
    }

    /// <summary>
    /// Reads a whole object into <paramref name="destination"/> when it fits (the NBD export reads blocks straight into
    /// its cache buffers); returns the object's length, which is beyond the buffer when it did not fit, or -1 when it
    /// does not exist. Drivers that cannot read in place are read whole and copied.
    /// </summary>
    public static async Task<int> ReadIntoAsync(this IObjectStore store, string key, byte[] destination, CancellationToken cancellationToken)
    {
        if (store is IBufferedObjectReader reader)
            return await reader.ReadIntoAsync(key, destination, cancellationToken).ConfigureAwait(false);
        var data = await store.ReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (data is null) return -1;
        if (data.Length <= destination.Length) data.CopyTo(destination, 0);
        return data.Length;
    }
}
