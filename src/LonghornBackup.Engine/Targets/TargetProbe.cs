using System.Security.Cryptography;
using LonghornBackup.Engine.Catalog;
using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Format;
using LonghornBackup.Engine.Store;

namespace LonghornBackup.Engine.Targets;

/// <summary>One step of a target test: what was checked, whether it passed, and what happened in words.</summary>
public sealed record TargetCheck(string Name, bool Passed, string Message);

/// <summary>The outcome of testing a target: every step run, and the first problem with its ErrorId and fix.</summary>
public sealed record TargetProbeResult(IReadOnlyList<TargetCheck> Checks, LonghornBackupException? Problem)
{
    public bool Available => Problem is null;
}

/// <summary>
/// Tests a backup target the way a backup will use it: resolve its settings and credentials, list backupstore/
/// (reachability, TLS, credentials, bucket, region, list permission), then write a small probe object, read it back
/// byte for byte (a store that keeps aws-chunked framing or otherwise alters uploads fails here) and delete it.
/// The probe key, backupstore/lhbackup-probe-&lt;16 hex&gt;.tmp, is one Longhorn's listings never look at.
/// </summary>
public static class TargetProbe
{
    public const string ProbePrefix = "lhbackup-probe-";
    private const int ProbeSize = 16 * 1024;

    public static async Task<TargetProbeResult> TestAsync(BackupTargetDefinition target, StoreOpenOptions options, bool write, CancellationToken ct)
    {
        var checks = new List<TargetCheck>();
        Backupstore store;
        try
        {
            store = Backupstore.Open(target, options);
            checks.Add(new("Settings", true, $"Target URL and settings resolved: {target.Url}."));
        }
        catch (LonghornBackupException e)
        {
            checks.Add(new("Settings", false, e.Message));
            return new(checks, e);
        }

        using (store)
        {
            string where = store.Store.Location;
            var problem = await Step(checks, "List", async () =>
            {
                var entries = await store.Store.ListAsync(StorePaths.Base, ct).ConfigureAwait(false);
                return $"Listed {StorePaths.Base}/ in {where} ({entries.Count} entries).";
            });
            if (problem is not null || !write) return new(checks, problem);

            string key = $"{StorePaths.Base}/{ProbePrefix}{Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant()}.tmp";
            byte[] payload = RandomNumberGenerator.GetBytes(ProbeSize);
            problem = await Step(checks, "Write", async () =>
            {
                await store.Store.WriteAsync(key, payload, ct).ConfigureAwait(false);
                return $"Wrote the {payload.Length}-byte probe object {key}.";
            });
            if (problem is not null) return new(checks, problem);
            problem = await Step(checks, "Read", async () =>
            {
                var read = await store.Store.ReadAsync(key, ct).ConfigureAwait(false);
                if (read is null)
                    throw new LonghornBackupException(ErrorIds.StoreReadFailed, ErrorKind.ReadError,
                        $"The probe object {key} was written but cannot be read back from {where}.", key,
                        "Check that the credentials may read objects (s3:GetObject on S3, read on an Azure container) and that the store is consistent.");
                if (!read.AsSpan().SequenceEqual(payload))
                    throw new LonghornBackupException(ErrorIds.StoreReadFailed, ErrorKind.InvalidData,
                        $"The store at {where} changed the bytes written: a {payload.Length}-byte probe came back as {read.Length} bytes{(read.Length == payload.Length ? " with different content" : "")}.", key,
                        "The store may not decode aws-chunked uploads or may alter objects; backups to it would be corrupt. Check its version and settings.");
                return "Read the probe object back, byte for byte.";
            });
            // Delete even when the read failed: the probe must not stay behind.
            var deleteProblem = await Step(checks, "Delete", async () =>
            {
                await store.Store.DeleteAsync(key, ct).ConfigureAwait(false);
                return "Deleted the probe object.";
            });
            return new(checks, problem ?? deleteProblem);
        }
    }

    /// <summary>
    /// A quick availability check for listings (Get-LhBackupTarget's Available), as the target's driver does it (a
    /// folder must exist; a network store must answer one listing within the timeout, without retries).
    /// </summary>
    public static async Task<bool> IsAvailableAsync(BackupTargetDefinition target, TimeSpan timeout, StoreOpenOptions? options, CancellationToken ct)
    {
        TargetUrl url;
        try { url = TargetUrl.Parse(target.Url); }
        catch (LonghornBackupException) { return false; }
        return await url.Driver.IsAvailableAsync(url, target, timeout, options, ct).ConfigureAwait(false);
    }

    /// <summary>The target's per-kind facts as its driver gives them (account, export, mount point...); none for a URL that no longer parses.</summary>
    public static Store.Drivers.TargetDescription Describe(BackupTargetDefinition target, StoreOpenOptions options)
    {
        try
        {
            var url = TargetUrl.Parse(target.Url);
            return url.Driver.Describe(url, target, options);
        }
        catch (LonghornBackupException e)
        {
            return new Store.Drivers.TargetDescription { Problem = e.Message };
        }
    }

    /// <summary>Runs one step; returns null when it passed, or the error that failed it.</summary>
    private static async Task<LonghornBackupException?> Step(List<TargetCheck> checks, string name, Func<Task<string>> step)
    {
        try
        {
            checks.Add(new(name, true, await step().ConfigureAwait(false)));
            return null;
        }
        catch (LonghornBackupException e)
        {
            checks.Add(new(name, false, e.Message));
            return e;
        }
    }
}
