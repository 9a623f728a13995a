using System.Net;
using System.Net.Sockets;

namespace LonghornBackup.Engine.Export;

/// <summary>
/// Where an export listens: a Unix socket (the default: only local users the socket's permissions admit) or a TCP
/// port, on 127.0.0.1 unless another address is asked for. Builds the NBD URIs clients take (nbd+unix://, nbd://).
/// </summary>
public sealed class ExportEndpoint
{
    private ExportEndpoint(string? socketPath, IPAddress? address, int port)
    {
        SocketPath = socketPath;
        Address = address;
        Port = port;
    }

    public static ExportEndpoint Unix(string socketPath) => new(Path.GetFullPath(socketPath), null, 0);

    /// <param name="port">0 lets the system pick a free port; <see cref="Port"/> tells it once listening.</param>
    public static ExportEndpoint Tcp(IPAddress address, int port) => new(null, address, port);

    public bool IsUnix => SocketPath is not null;
    public string? SocketPath { get; }
    public IPAddress? Address { get; }
    public int Port { get; private set; }

    /// <summary>True for a TCP address other machines may reach (anything but loopback).</summary>
    public bool IsReachableFromOtherHosts => Address is not null && !IPAddress.IsLoopback(Address);

    /// <summary>The URI of an export, as nbdinfo, nbdcopy, nbdsh and qemu-img take it.</summary>
    public string UriOf(string exportName)
    {
        string name = Uri.EscapeDataString(exportName);
        if (IsUnix) return $"nbd+unix:///{name}?socket={Uri.EscapeDataString(SocketPath!).Replace("%2F", "/")}";
        string host = Address!.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString();
        return $"nbd://{host}:{Port}/{name}";
    }

    /// <summary>Where it listens, in words.</summary>
    public override string ToString() => IsUnix ? SocketPath! : $"{(Address!.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port}";

    internal Socket Bind()
    {
        if (IsUnix)
        {
#if NET
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(SocketPath!));
                socket.Listen(64);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
#else
            throw new PlatformNotSupportedException("Unix sockets need PowerShell 7; use -Port on Windows PowerShell.");
#endif
        }
        var tcp = new Socket(Address!.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            tcp.Bind(new IPEndPoint(Address, Port));
            tcp.Listen(64);
            Port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }
}
