using System.Text;
using static LonghornBackup.Engine.Export.NbdProtocol;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// The handshake and option haggling of fixed newstyle negotiation: NBD_OPT_LIST (one name per served backup),
/// NBD_OPT_INFO and NBD_OPT_GO (with NBD_INFO_NAME, _DESCRIPTION, _BLOCK_SIZE on request), NBD_OPT_EXPORT_NAME for
/// old clients, NBD_OPT_STRUCTURED_REPLY and the base:allocation meta context. Anything else is NBD_REP_ERR_UNSUP
/// (TLS included: the server listens on loopback or a Unix socket by default).
/// </summary>
internal sealed class NbdNegotiation
{
    private readonly Stream _input;
    private readonly Stream _output;
    private readonly IReadOnlyList<BackupExport> _exports;
    private bool _structured, _baseAllocation, _noZeroes;

    public NbdNegotiation(Stream input, Stream output, IReadOnlyList<BackupExport> exports)
    {
        _input = input;
        _output = output;
        _exports = exports;
    }

    /// <summary>The session the client chose, or null when it aborted or broke the protocol (then close).</summary>
    public async Task<NbdSession?> RunAsync(CancellationToken ct)
    {
        await SendAsync(new NbdWire.Writer().U64(NbdMagic).U64(OptionMagic).U16(FlagFixedNewstyle | FlagNoZeroes), ct).ConfigureAwait(false);
        var header = new byte[16];
        if (!await NbdWire.ReadExactlyAsync(_input, header, 4, ct).ConfigureAwait(false)) return null;
        uint clientFlags = NbdWire.U32(header, 0);
        if ((clientFlags & ~(ClientFlagFixedNewstyle | ClientFlagNoZeroes)) != 0) return null;   // flags we do not know: the spec says close
        _noZeroes = (clientFlags & ClientFlagNoZeroes) != 0;

        while (true)
        {
            if (!await NbdWire.ReadExactlyAsync(_input, header, 16, ct).ConfigureAwait(false)) return null;
            if (NbdWire.U64(header, 0) != OptionMagic) return null;
            uint option = NbdWire.U32(header, 8);
            uint length = NbdWire.U32(header, 12);
            if (length > MaxOptionLength) return null;
            var data = new byte[length];
            if (length > 0 && !await NbdWire.ReadExactlyAsync(_input, data, (int)length, ct).ConfigureAwait(false)) return null;

            switch (option)
            {
                case OptExportName:
                    return await ExportNameAsync(Encoding.UTF8.GetString(data), ct).ConfigureAwait(false);
                case OptAbort:
                    await ReplyAsync(option, RepAck, null, ct).ConfigureAwait(false);
                    return null;
                case OptList:
                    await ListAsync(length, ct).ConfigureAwait(false);
                    break;
                case OptInfo:
                case OptGo:
                    var chosen = await InfoAsync(option, data, ct).ConfigureAwait(false);
                    if (chosen is not null && option == OptGo) return new NbdSession(chosen, _structured, _baseAllocation);
                    break;
                case OptStructuredReply:
                    if (length != 0) await ErrorAsync(option, RepErrInvalid, "NBD_OPT_STRUCTURED_REPLY takes no data.", ct).ConfigureAwait(false);
                    else
                    {
                        _structured = true;
                        await ReplyAsync(option, RepAck, null, ct).ConfigureAwait(false);
                    }
                    break;
                case OptListMetaContext:
                case OptSetMetaContext:
                    await MetaContextAsync(option, data, ct).ConfigureAwait(false);
                    break;
                default:
                    await ErrorAsync(option, RepErrUnsup, $"Option {option} is not supported by this read-only export.", ct).ConfigureAwait(false);
                    break;
            }
        }
    }

    private BackupExport? Find(string name) =>
        name.Length == 0 ? _exports[0] : _exports.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));

    private ushort TransmissionFlags =>
        (ushort)(TxHasFlags | TxReadOnly | TxSendFlush | TxCanMultiConn | TxSendCache | (_structured ? TxSendDf : 0));

    private async Task<NbdSession?> ExportNameAsync(string name, CancellationToken ct)
    {
        if (Find(name) is not { } export) return null;   // this old option has no error reply: close
        var w = new NbdWire.Writer().U64((ulong)export.Size).U16(TransmissionFlags);
        if (!_noZeroes) w.Bytes(new byte[124]);
        await SendAsync(w, ct).ConfigureAwait(false);
        return new NbdSession(export, _structured, _baseAllocation);
    }

    private async Task ListAsync(uint length, CancellationToken ct)
    {
        if (length != 0)
        {
            await ErrorAsync(OptList, RepErrInvalid, "NBD_OPT_LIST takes no data.", ct).ConfigureAwait(false);
            return;
        }
        foreach (var e in _exports)
        {
            var name = Encoding.UTF8.GetBytes(e.Name);
            await ReplyAsync(OptList, RepServer, new NbdWire.Writer().U32((uint)name.Length).Bytes(name).Text(e.Description).ToArray(), ct).ConfigureAwait(false);
        }
        await ReplyAsync(OptList, RepAck, null, ct).ConfigureAwait(false);
    }

    private async Task<BackupExport?> InfoAsync(uint option, byte[] data, CancellationToken ct)
    {
        if (!TryParseNameAndRequests(data, out var name, out var requests))
        {
            await ErrorAsync(option, RepErrInvalid, "The option's data is malformed.", ct).ConfigureAwait(false);
            return null;
        }
        if (Find(name) is not { } export)
        {
            await ErrorAsync(option, RepErrUnknown, $"No export is named '{name}'. List them with NBD_OPT_LIST (nbdinfo --list).", ct).ConfigureAwait(false);
            return null;
        }
        await ReplyAsync(option, RepInfo, new NbdWire.Writer().U16(InfoExport).U64((ulong)export.Size).U16(TransmissionFlags).ToArray(), ct).ConfigureAwait(false);
        foreach (var request in requests.Distinct())
        {
            byte[]? info = request switch
            {
                InfoName => new NbdWire.Writer().U16(InfoName).Text(export.Name).ToArray(),
                InfoDescription => new NbdWire.Writer().U16(InfoDescription).Text(export.Description).ToArray(),
                // Any alignment works; 4 KiB is what file systems read; one request is at most MaxRequestLength.
                InfoBlockSize => new NbdWire.Writer().U16(InfoBlockSize).U32(1).U32(4096).U32(MaxRequestLength).ToArray(),
                _ => null,
            };
            if (info is not null) await ReplyAsync(option, RepInfo, info, ct).ConfigureAwait(false);
        }
        await ReplyAsync(option, RepAck, null, ct).ConfigureAwait(false);
        return export;
    }

    private async Task MetaContextAsync(uint option, byte[] data, CancellationToken ct)
    {
        if (!TryParseMetaQueries(data, out var name, out var queries))
        {
            await ErrorAsync(option, RepErrInvalid, "The option's data is malformed.", ct).ConfigureAwait(false);
            return;
        }
        if (option == OptSetMetaContext && !_structured)
        {
            await ErrorAsync(option, RepErrInvalid, "Negotiate NBD_OPT_STRUCTURED_REPLY before NBD_OPT_SET_META_CONTEXT.", ct).ConfigureAwait(false);
            return;
        }
        if (Find(name) is null)
        {
            await ErrorAsync(option, RepErrUnknown, $"No export is named '{name}'.", ct).ConfigureAwait(false);
            return;
        }
        bool matches = option == OptListMetaContext && queries.Count == 0
            || queries.Any(q => q is "base:" or BaseAllocation);
        if (option == OptSetMetaContext) _baseAllocation = matches;
        if (matches)
        {
            uint id = option == OptSetMetaContext ? BaseAllocationId : 0;
            await ReplyAsync(option, RepMetaContext, new NbdWire.Writer().U32(id).Text(BaseAllocation).ToArray(), ct).ConfigureAwait(false);
        }
        await ReplyAsync(option, RepAck, null, ct).ConfigureAwait(false);
    }

    private static bool TryParseNameAndRequests(byte[] data, out string name, out List<ushort> requests)
    {
        name = "";
        requests = new List<ushort>();
        if (data.Length < 6) return false;
        uint nameLength = NbdWire.U32(data, 0);
        if (nameLength > data.Length - 6) return false;
        name = Encoding.UTF8.GetString(data, 4, (int)nameLength);
        int at = 4 + (int)nameLength;
        int count = NbdWire.U16(data, at);
        at += 2;
        if (data.Length != at + count * 2) return false;
        for (int i = 0; i < count; i++) requests.Add(NbdWire.U16(data, at + i * 2));
        return true;
    }

    private static bool TryParseMetaQueries(byte[] data, out string name, out List<string> queries)
    {
        name = "";
        queries = new List<string>();
        if (data.Length < 8) return false;
        uint nameLength = NbdWire.U32(data, 0);
        if (nameLength > data.Length - 8) return false;
        name = Encoding.UTF8.GetString(data, 4, (int)nameLength);
        int at = 4 + (int)nameLength;
        uint count = NbdWire.U32(data, at);
        at += 4;
        for (uint i = 0; i < count; i++)
        {
            if (at + 4 > data.Length) return false;
            uint length = NbdWire.U32(data, at);
            if (length > data.Length - at - 4) return false;
            queries.Add(Encoding.UTF8.GetString(data, at + 4, (int)length));
            at += 4 + (int)length;
        }
        return at == data.Length;
    }

    private Task ErrorAsync(uint option, uint error, string message, CancellationToken ct) =>
        ReplyAsync(option, error, Encoding.UTF8.GetBytes(message), ct);

    private Task ReplyAsync(uint option, uint type, byte[]? data, CancellationToken ct)
    {
        var w = new NbdWire.Writer().U64(OptionReplyMagic).U32(option).U32(type).U32((uint)(data?.Length ?? 0));
        if (data is not null) w.Bytes(data);
        return SendAsync(w, ct);
    }

    private async Task SendAsync(NbdWire.Writer message, CancellationToken ct)
    {
        var bytes = message.ToArray();
        await _output.WriteAsync(bytes, 0, bytes.Length, ct).ConfigureAwait(false);
        await _output.FlushAsync(ct).ConfigureAwait(false);
    }
}
