using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using LonghornBackup.Engine.Errors;
using static LonghornBackup.Engine.Export.NbdProtocol;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// The transmission phase of one connection: requests are read in order and answered as they complete, several
/// reads in flight at once (clients pipeline them). Reads are served from <see cref="BackupBlockReader"/>; a read
/// that needs a broken block gets EIO and the others go on. Writes, trims and zeroing get EPERM (the export is
/// read-only); NBD_CMD_BLOCK_STATUS reports holes when base:allocation was negotiated.
/// </summary>
internal sealed class NbdTransmission
{
    // Reads answered at once per connection: as many as nbdcopy keeps in flight on each of its four connections. The
    // blocks pending reads hold are bounded by the reader (BackupBlockReader claims a read's blocks only within the
    // cache's budget), whatever this number; the rest wait there holding no block. With blocks read straight into the
    // cache's buffers (no read buffer per fetcher), 64 took a 4 GiB export 10% faster than 32 and peaked at 112-116 MB
    // with the default 64 MiB cache (32 and the old read buffers: 118-125 MB, and one round in five at 129.6 MB with 64).
    private const int MaxInFlight = 64;
    private const int MaxExtents = 1024 * 1024 / 8;   // one block status reply stays under 1 MiB
    private readonly Stream _input;
    private readonly Socket _output;
    private readonly NbdSession _session;
    private readonly BackupBlockReader _reader;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);

    public NbdTransmission(Stream input, Socket output, NbdSession session)
    {
        _input = input;
        _output = output;
        _session = session;
        _reader = session.Export.Reader;
    }

    /// <summary>Serves requests until NBD_CMD_DISC, the client closing, or <paramref name="ct"/>.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var header = new byte[28];
        var running = new List<Task>();
        try
        {
            while (await NbdWire.ReadExactlyAsync(_input, header, 28, ct).ConfigureAwait(false))
            {
                if (NbdWire.U32(header, 0) != RequestMagic) return;   // out of sync: nothing can be trusted, close
                ushort flags = NbdWire.U16(header, 4), type = NbdWire.U16(header, 6);
                ulong cookie = NbdWire.U64(header, 8), offset = NbdWire.U64(header, 16);
                uint length = NbdWire.U32(header, 24);
                if (type == CmdDisc) return;
                if (type == CmdWrite)
                {
                    if (length > MaxRequestLength) return;   // cannot stay in sync without reading it all
                    await NbdWire.DiscardAsync(_input, length, ct).ConfigureAwait(false);
                }
                await _inFlight.WaitAsync(ct).ConfigureAwait(false);
                running.RemoveAll(t => t.IsCompleted);
                running.Add(AnswerAsync(flags, type, cookie, offset, length, ct));
            }
        }
        finally
        {
            // NBD_CMD_DISC: every request before it is answered first.
            try { await Task.WhenAll(running).ConfigureAwait(false); } catch { /* the connection is going away */ }
        }
    }

    private async Task AnswerAsync(ushort flags, ushort type, ulong cookie, ulong offset, uint length, CancellationToken ct)
    {
        try
        {
            bool inside = offset <= (ulong)_reader.Size && length <= (ulong)_reader.Size - offset;
            switch (type)
            {
                case CmdRead:
                    if (!inside) await ErrorAsync(type, cookie, EInval, "The read lies beyond the end of the export.", ct).ConfigureAwait(false);
                    else if (length > MaxRequestLength) await ErrorAsync(type, cookie, EOverflow, "The read is larger than the export's maximum.", ct).ConfigureAwait(false);
                    else await ReadAsync(cookie, (long)offset, (int)length, ct).ConfigureAwait(false);
                    break;
                case CmdFlush:
                    await SimpleAsync(cookie, 0, ct).ConfigureAwait(false);
                    break;
                case CmdCache:
                    if (inside) _reader.Prefetch((long)offset, length);
                    await SimpleAsync(cookie, inside ? 0 : EInval, ct).ConfigureAwait(false);
                    break;
                case CmdWrite:
                case CmdTrim:
                case CmdWriteZeroes:
                    await ErrorAsync(type, cookie, EPerm, "The export is read-only: a backup is never changed.", ct).ConfigureAwait(false);
                    break;
                case CmdBlockStatus:
                    if (!_session.BaseAllocation) await ErrorAsync(type, cookie, EInval, "Negotiate the base:allocation meta context first.", ct).ConfigureAwait(false);
                    else if (!inside || length == 0) await ErrorAsync(type, cookie, EInval, "The range lies beyond the end of the export.", ct).ConfigureAwait(false);
                    else await BlockStatusAsync(flags, cookie, (long)offset, length, ct).ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(type, cookie, EInval, $"Command {type} is not supported.", ct).ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is closing; the request loop notices it too.
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private async Task ReadAsync(ulong cookie, long offset, int length, CancellationToken ct)
    {
        BlockReadLease lease;
        try { lease = await _reader.ReadAsync(offset, length, ct).ConfigureAwait(false); }
        catch (LonghornBackupException e)
        {
            await ErrorAsync(CmdRead, cookie, EIo, e.Message, ct).ConfigureAwait(false);
            return;
        }
        using (lease)
        {
            var header = new byte[_session.StructuredReplies ? 28 : 16];
            if (_session.StructuredReplies)
            {
                // One data chunk for the whole read: valid with or without NBD_CMD_FLAG_DF.
                WriteChunkHeader(header, ReplyFlagDone, ReplyTypeOffsetData, cookie, 8 + (uint)length);
                BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(20), (ulong)offset);
            }
            else WriteSimpleHeader(header, cookie, 0);
            await SendAsync(header, lease.Segments, ct).ConfigureAwait(false);
        }
    }

    private async Task BlockStatusAsync(ushort flags, ulong cookie, long offset, uint length, CancellationToken ct)
    {
        var extents = new NbdWire.Writer().U32(BaseAllocationId);
        long end = offset + length, at = offset;
        int count = 0;
        while (at < end && count < MaxExtents)
        {
            long block = at / _reader.BlockSize;
            bool mapped = _reader.IsMapped(block);
            long runEnd = (block + 1) * _reader.BlockSize;
            while (runEnd < end && _reader.IsMapped(runEnd / _reader.BlockSize) == mapped) runEnd += _reader.BlockSize;
            runEnd = Math.Min(runEnd, end);
            extents.U32((uint)(runEnd - at)).U32(mapped ? 0 : StateHole | StateZero);
            count++;
            at = runEnd;
            if ((flags & CmdFlagReqOne) != 0) break;
        }
        var payload = extents.ToArray();
        var header = new byte[20];
        WriteChunkHeader(header, ReplyFlagDone, ReplyTypeBlockStatus, cookie, (uint)payload.Length);
        await SendAsync(header, new List<ArraySegment<byte>> { new(payload) }, ct).ConfigureAwait(false);
    }

    /// <summary>An error reply: a structured error chunk where structured replies are on (reads and block status need it), else a simple one.</summary>
    private Task ErrorAsync(ushort type, ulong cookie, uint error, string message, CancellationToken ct)
    {
        if (!_session.StructuredReplies || type is not (CmdRead or CmdBlockStatus)) return SimpleAsync(cookie, error, ct);
        var text = Encoding.UTF8.GetBytes(message.Length > 1000 ? message.Substring(0, 1000) : message);
        var header = new byte[20];
        WriteChunkHeader(header, ReplyFlagDone, ReplyTypeError, cookie, (uint)(6 + text.Length));
        var body = new NbdWire.Writer().U32(error).U16((ushort)text.Length).Bytes(text).ToArray();
        return SendAsync(header, new List<ArraySegment<byte>> { new(body) }, ct);
    }

    private Task SimpleAsync(ulong cookie, uint error, CancellationToken ct)
    {
        var header = new byte[16];
        WriteSimpleHeader(header, cookie, error);
        return SendAsync(header, null, ct);
    }

    private static void WriteSimpleHeader(byte[] h, ulong cookie, uint error)
    {
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(0), SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), error);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(8), cookie);
    }

    private static void WriteChunkHeader(byte[] h, ushort flags, ushort type, ulong cookie, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(0), StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), flags);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), type);
        BinaryPrimitives.WriteUInt64BigEndian(h.AsSpan(8), cookie);
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(16), length);
    }

    /// <summary>
    /// One reply, header and data, never interleaved with another: one gathered send (sendmsg) where a header and its
    /// data went out as two writes before, which halves the system calls and the client's wake-ups per read.
    /// </summary>
    private async Task SendAsync(byte[] header, List<ArraySegment<byte>>? data, CancellationToken ct)
    {
        var parts = new List<ArraySegment<byte>>((data?.Count ?? 0) + 1) { new(header) };
        if (data is not null) parts.AddRange(data);
        await _sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (parts.Count > 0)
            {
                int sent = await _output.SendAsync(parts, SocketFlags.None).ConfigureAwait(false);
                if (sent <= 0) throw new IOException("The client closed the connection.");
                Consume(parts, sent);
            }
        }
        finally { _sendLock.Release(); }
    }

    /// <summary>Drops what a partial send delivered from the front of <paramref name="parts"/>.</summary>
    private static void Consume(List<ArraySegment<byte>> parts, int sent)
    {
        while (sent > 0 && parts.Count > 0)
        {
            var first = parts[0];
            if (sent >= first.Count) { sent -= first.Count; parts.RemoveAt(0); }
            else { parts[0] = new ArraySegment<byte>(first.Array!, first.Offset + sent, first.Count - sent); sent = 0; }
        }
    }
}
