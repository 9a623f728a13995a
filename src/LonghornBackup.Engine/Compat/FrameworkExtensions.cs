using System.Buffers;
using System.Diagnostics;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;

namespace LonghornBackup.Engine.Compat;

// The .NET 8 members the engine calls, written on .NET Framework 4.7.2 for Windows PowerShell 5.1. C# 14 extension
// members let the call sites stay exactly as they are on .NET 8. Compiled for net472 only; nothing here is on a hot
// path that matters for speed on PowerShell 7.

internal static class ConvertExtensions
{
    extension(Convert)
    {
        public static string ToHexString(byte[] bytes) => ToHex(bytes);
        public static string ToHexString(ReadOnlySpan<byte> bytes) => ToHex(bytes);

        public static byte[] FromHexString(string hex)
        {
            if (hex.Length % 2 != 0) throw new FormatException("The hex string has an odd length.");
            var bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] = (byte)(Nibble(hex[2 * i]) << 4 | Nibble(hex[2 * i + 1]));
            return bytes;
        }
    }

    private static string ToHex(ReadOnlySpan<byte> bytes)
    {
        const string digits = "0123456789ABCDEF";
        var chars = new char[bytes.Length * 2];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = digits[bytes[i] >> 4];
            chars[2 * i + 1] = digits[bytes[i] & 0xF];
        }
        return new string(chars);
    }

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => throw new FormatException($"'{c}' is not a hex digit."),
    };
}

internal static class PlatformExtensions
{
    extension(OperatingSystem)
    {
        public static bool IsWindows() => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        public static bool IsLinux() => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
    }

    extension(Environment)
    {
        public static long TickCount64 => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;
        public static int ProcessId => Process.GetCurrentProcess().Id;
    }

    extension(GC)
    {
        public static T[] AllocateUninitializedArray<T>(int length) => new T[length];
    }

    extension(Marshal)
    {
        public static int GetLastPInvokeError() => Marshal.GetLastWin32Error();
    }

    extension(Math)
    {
        public static int Clamp(int value, int min, int max) => value < min ? min : value > max ? max : value;
        public static long Clamp(long value, long min, long max) => value < min ? min : value > max ? max : value;
        public static double Clamp(double value, double min, double max) => value < min ? min : value > max ? max : value;
    }

    extension(DateTime)
    {
        public static DateTime UnixEpoch => new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    }

    [ThreadStatic] private static Random? t_random;

    extension(Random)
    {
        public static Random Shared => t_random ??= new Random(Guid.NewGuid().GetHashCode());
    }

    extension(ExceptionDispatchInfo)
    {
        public static void Throw(Exception e) => ExceptionDispatchInfo.Capture(e).Throw();
    }
}

internal static class TextExtensions
{
    extension(char)
    {
        public static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';
        public static bool IsAsciiLetterOrDigit(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'z' or >= 'A' and <= 'Z';
    }

    extension(string)
    {
        public static string Join(char separator, IEnumerable<string?> values) => string.Join(separator.ToString(), values);
        public static string Create<TState>(int length, TState state, SpanAction<char, TState> action)
        {
            var chars = new char[length];
            action(chars, state);
            return new string(chars);
        }
    }

    extension(string s)
    {
        public bool StartsWith(char c) => s.Length > 0 && s[0] == c;
        public bool EndsWith(char c) => s.Length > 0 && s[s.Length - 1] == c;
        public bool Contains(char c) => s.IndexOf(c) >= 0;
        public string[] Split(char separator, int count) => s.Split(new[] { separator }, count);
        public string[] Split(char separator, StringSplitOptions options) => s.Split(new[] { separator }, options);
    }

    extension(Encoding encoding)
    {
        public int GetBytes(string text, Span<byte> destination)
        {
            var bytes = encoding.GetBytes(text);
            bytes.CopyTo(destination);
            return bytes.Length;
        }
    }
}

/// <summary>System.Buffers.SpanAction, for string.Create.</summary>
internal delegate void SpanAction<T, in TArg>(Span<T> span, TArg arg);

internal static class CollectionExtensions
{
    public static void Deconstruct<TKey, TValue>(this KeyValuePair<TKey, TValue> pair, out TKey key, out TValue value)
    {
        key = pair.Key;
        value = pair.Value;
    }

    public static TValue? GetValueOrDefault<TKey, TValue>(this IReadOnlyDictionary<TKey, TValue> map, TKey key) =>
        map.TryGetValue(key, out var value) ? value : default;

    public static TValue GetValueOrDefault<TKey, TValue>(this IReadOnlyDictionary<TKey, TValue> map, TKey key, TValue fallback) =>
        map.TryGetValue(key, out var value) ? value : fallback;

    public static bool TryAdd<TKey, TValue>(this Dictionary<TKey, TValue> map, TKey key, TValue value) where TKey : notnull
    {
        if (map.ContainsKey(key)) return false;
        map.Add(key, value);
        return true;
    }

    public static bool ContainsAnyExcept(this ReadOnlySpan<byte> span, byte value)
    {
        foreach (byte b in span) if (b != value) return true;
        return false;
    }

    public static bool ContainsAnyExcept(this Span<byte> span, byte value) => ((ReadOnlySpan<byte>)span).ContainsAnyExcept(value);
}

internal static class TaskExtensions
{
    extension(Task task)
    {
        public bool IsCompletedSuccessfully => task.Status == TaskStatus.RanToCompletion;
    }

    extension(Task)
    {
        public static Task Delay(TimeSpan delay, TimeProvider clock, CancellationToken cancellationToken) =>
            clock.Delay(delay, cancellationToken);
    }

    extension(Parallel)
    {
        /// <summary>Runs <paramref name="body"/> over the items with at most MaxDegreeOfParallelism at once.</summary>
        public static async Task ForEachAsync<T>(IEnumerable<T> source, ParallelOptions options, Func<T, CancellationToken, ValueTask> body)
        {
            int workers = options.MaxDegreeOfParallelism > 0 ? options.MaxDegreeOfParallelism : Environment.ProcessorCount;
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
            using var items = source.GetEnumerator();
            var gate = new object();
            async Task Worker()
            {
                while (true)
                {
                    T item;
                    lock (gate)
                    {
                        if (failed.IsCancellationRequested || !items.MoveNext()) return;
                        item = items.Current;
                    }
                    try { await body(item, failed.Token).ConfigureAwait(false); }
                    catch { failed.Cancel(); throw; }
                }
            }
            var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(Worker)).ToArray();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            options.CancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The task's result, or an OperationCanceledException as soon as <paramref name="cancellationToken"/> ends.</summary>
    public static async Task<T> WaitAsync<T>(this Task<T> task, CancellationToken cancellationToken)
    {
        var cancelled = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
            return await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
    }

    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this ChannelReader<T> reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (reader.TryRead(out var item)) yield return item;
    }
}

internal static class IoExtensions
{
    extension(File)
    {
        public static void Move(string source, string destination, bool overwrite)
        {
            if (overwrite && File.Exists(destination)) File.Replace(source, destination, null, ignoreMetadataErrors: true);
            else File.Move(source, destination);
        }

        public static Task<byte[]> ReadAllBytesAsync(string path, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(File.ReadAllBytes(path));
        }
    }

    extension(Path)
    {
        public static bool IsPathFullyQualified(string path) =>
            path.Length >= 3 && path[1] == ':' && (path[2] == '\\' || path[2] == '/')
            || path.StartsWith(@"\\", StringComparison.Ordinal) || path.StartsWith("//", StringComparison.Ordinal);

        public static string GetRelativePath(string relativeTo, string path)
        {
            var from = new Uri(AppendSeparator(Path.GetFullPath(relativeTo)));
            var to = new Uri(Path.GetFullPath(path));
            return Uri.UnescapeDataString(from.MakeRelativeUri(to).ToString()).Replace('/', Path.DirectorySeparatorChar);
        }
    }

    private static string AppendSeparator(string path) =>
        path.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? path : path + Path.DirectorySeparatorChar;

    extension(Stream stream)
    {
        public void Write(ReadOnlySpan<byte> data)
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(data.Length);
            try
            {
                data.CopyTo(rented);
                stream.Write(rented, 0, data.Length);
            }
            finally { ArrayPool<byte>.Shared.Return(rented); }
        }

        public int Read(Span<byte> destination)
        {
            byte[] rented = ArrayPool<byte>.Shared.Rent(destination.Length);
            try
            {
                int n = stream.Read(rented, 0, destination.Length);
                rented.AsSpan(0, n).CopyTo(destination);
                return n;
            }
            finally { ArrayPool<byte>.Shared.Return(rented); }
        }

        public Task CopyToAsync(Stream destination, CancellationToken cancellationToken) =>
            stream.CopyToAsync(destination, 81920, cancellationToken);
    }
}

internal static class CryptoExtensions
{
    [ThreadStatic] private static SHA512? t_sha512;

    extension(SHA512)
    {
        public static byte[] HashData(ReadOnlySpan<byte> data) => Sha256Extensions.Hash(t_sha512 ??= SHA512.Create(), data);
        public static byte[] HashData(byte[] data) => (t_sha512 ??= SHA512.Create()).ComputeHash(data);
        public static int HashData(ReadOnlySpan<byte> data, Span<byte> destination)
        {
            var hash = Sha256Extensions.Hash(t_sha512 ??= SHA512.Create(), data);
            hash.CopyTo(destination);
            return hash.Length;
        }
    }
}

internal static class Sha256Extensions
{
    [ThreadStatic] private static SHA256? t_sha256;

    extension(SHA256)
    {
        public static byte[] HashData(ReadOnlySpan<byte> data) => Hash(t_sha256 ??= SHA256.Create(), data);
        public static byte[] HashData(byte[] data) => (t_sha256 ??= SHA256.Create()).ComputeHash(data);
    }

    internal static byte[] Hash(HashAlgorithm algorithm, ReadOnlySpan<byte> data)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(data.Length);
        try
        {
            data.CopyTo(rented);
            return algorithm.ComputeHash(rented, 0, data.Length);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    extension(RandomNumberGenerator)
    {
        public static byte[] GetBytes(int count)
        {
            var bytes = new byte[count];
            using var rng = RandomNumberGenerator.Create();
            rng.GetBytes(bytes);
            return bytes;
        }

        public static int GetInt32(int toExclusive)
        {
            // Rejection sampling, so every value is equally likely.
            var four = new byte[4];
            using var rng = RandomNumberGenerator.Create();
            uint limit = uint.MaxValue - uint.MaxValue % (uint)toExclusive;
            while (true)
            {
                rng.GetBytes(four);
                uint v = BitConverter.ToUInt32(four, 0);
                if (v < limit) return (int)(v % (uint)toExclusive);
            }
        }
    }

    extension(X509Certificate2Collection collection)
    {
        /// <summary>Adds every CERTIFICATE block of a PEM text.</summary>
        public void ImportFromPem(string pem)
        {
            const string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
            int at = 0;
            while ((at = pem.IndexOf(begin, at, StringComparison.Ordinal)) >= 0)
            {
                int stop = pem.IndexOf(end, at, StringComparison.Ordinal);
                if (stop < 0) throw new CryptographicException("The PEM text has a certificate without its END line.");
                string body = pem.Substring(at + begin.Length, stop - at - begin.Length);
                collection.Add(new X509Certificate2(Convert.FromBase64String(body)));
                at = stop + end.Length;
            }
        }
    }
}
