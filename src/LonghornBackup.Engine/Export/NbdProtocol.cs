namespace LonghornBackup.Engine.Export;

/// <summary>
/// The numbers of the NBD protocol (github.com/NetworkBlockDevice/nbd, doc/proto.md) that this read-only server
/// speaks: fixed newstyle negotiation, simple and structured replies, the base:allocation meta context.
/// </summary>
internal static class NbdProtocol
{
    public const ulong NbdMagic = 0x4e42444d41474943;          // "NBDMAGIC"
    public const ulong OptionMagic = 0x49484156454F5054;       // "IHAVEOPT"
    public const ulong OptionReplyMagic = 0x3e889045565a9;
    public const uint RequestMagic = 0x25609513;
    public const uint SimpleReplyMagic = 0x67446698;
    public const uint StructuredReplyMagic = 0x668e33ef;

    // Handshake flags (server) and client flags.
    public const ushort FlagFixedNewstyle = 1 << 0;
    public const ushort FlagNoZeroes = 1 << 1;
    public const uint ClientFlagFixedNewstyle = 1 << 0;
    public const uint ClientFlagNoZeroes = 1 << 1;

    // Transmission flags.
    public const ushort TxHasFlags = 1 << 0;
    public const ushort TxReadOnly = 1 << 1;
    public const ushort TxSendFlush = 1 << 2;
    public const ushort TxSendDf = 1 << 7;
    public const ushort TxCanMultiConn = 1 << 8;
    public const ushort TxSendCache = 1 << 10;

    // Options.
    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptStartTls = 5;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;

    // Option reply types.
    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000001;
    public const uint RepErrPolicy = 0x80000002;
    public const uint RepErrInvalid = 0x80000003;
    public const uint RepErrUnknown = 0x80000006;
    public const uint RepErrTooBig = 0x80000009;

    // NBD_INFO types.
    public const ushort InfoExport = 0;
    public const ushort InfoName = 1;
    public const ushort InfoDescription = 2;
    public const ushort InfoBlockSize = 3;

    // Commands and command flags.
    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdCache = 5;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;
    public const ushort CmdFlagReqOne = 1 << 3;

    // Structured reply chunk types and flags.
    public const ushort ReplyFlagDone = 1;
    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeBlockStatus = 5;
    public const ushort ReplyTypeError = 0x8001;

    // Errors (errno values, as the protocol fixes them).
    public const uint EPerm = 1;
    public const uint EIo = 5;
    public const uint EInval = 22;
    public const uint EOverflow = 75;
    public const uint ENotSup = 95;
    public const uint EShutdown = 108;

    // base:allocation states.
    public const uint StateHole = 1;
    public const uint StateZero = 2;
    public const string BaseAllocation = "base:allocation";
    public const uint BaseAllocationId = 1;

    /// <summary>The largest read answered (clients split larger ones, as told by NBD_INFO_BLOCK_SIZE).</summary>
    public const int MaxRequestLength = 32 * 1024 * 1024;

    /// <summary>The largest option payload taken from a client; more is refused without reading it into memory.</summary>
    public const int MaxOptionLength = 64 * 1024;
}
