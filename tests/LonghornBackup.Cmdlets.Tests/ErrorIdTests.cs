using System.Management.Automation;
using System.Net;
using System.Reflection;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Cmdlets.Tests;

/// <summary>
/// Every ErrorId of the README's table, produced through the cmdlets as a user would meet it, with its category.
/// A new ErrorId without a case here fails <see cref="Every_error_id_has_a_case"/>.
/// </summary>
public class ErrorIdTests
{
    /// <summary>Ids that cmdlets cannot produce on purpose from a script, with the reason; covered by engine tests.</summary>
    private static readonly Dictionary<string, string> EngineOnly = new()
    {
        [ErrorIds.OperationCancelled] = "Ctrl+C stops the pipeline (PipelineStoppedException); the engine's id is tested in CrashTests and CancelledWorkTests, the cmdlet's warning in CancellationTests.",
        [ErrorIds.SnapshotChanged] = "a replica layer must change while it is being read; ReplicaChainTests change one between opening and reading.",
        [ErrorIds.BackupTargetNotMounted] = "needs a process that may not mount (not root, or not Linux) while the suite runs as root; ShareMounterTests give the engine such a machine, and Shares.Tests.ps1 checks the cmdlet's error on whichever machine runs it.",
    };

    public static IEnumerable<object[]> Cases() => new[]
    {
        Case(ErrorIds.BackupTargetNotSet, ErrorCategory.InvalidOperation, h => "Get-LhBackup -Target nowhere"),
        Case(ErrorIds.InvalidBackupTargetUrl, ErrorCategory.InvalidArgument, h => "Set-LhBackupTarget -Url 'vfs://host/x'"),
        Case(ErrorIds.BackupTargetUnreachable, ErrorCategory.ResourceUnavailable, h => $"Set-LhBackupTarget -Url '{h.Work}/missing'"),
        Case(ErrorIds.InvalidName, ErrorCategory.InvalidArgument, h => WithTarget(h, $"New-LhBackup -VolumeName '../x' -SnapshotName s -Path '{h.NewImage("a.img", 4, 0)}'")),
        Case(ErrorIds.InvalidLabel, ErrorCategory.InvalidArgument, h => WithTarget(h, $"New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.NewImage("a.img", 4, 0)}' -Label @{{ 'a b' = 'x' }}")),
        Case(ErrorIds.InvalidBlockSize, ErrorCategory.InvalidArgument, h => WithTarget(h, $"New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.NewImage("a.img", 4, 0)}' -BlockSize 4MB")),
        Case(ErrorIds.InvalidBlockShare, ErrorCategory.InvalidArgument, h => WithTarget(h, "Test-LhBackup -Deep -Subset 8/7")),
        Case(ErrorIds.InvalidRetention, ErrorCategory.InvalidArgument, h => WithTarget(h, "Remove-LhBackup -VolumeName v1 -KeepWithin 7days -Force")),
        Case(ErrorIds.RetentionPolicyNotSet, ErrorCategory.InvalidOperation, h => WithTarget(h, "Remove-LhBackup -VolumeName v1 -UseTargetPolicy -Force", backup: true)),
        Case(ErrorIds.BlockSizeMismatch, ErrorCategory.InvalidArgument, h => WithTarget(h,
            $"New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.NewImage("a.img", 16, 0)}' -BlockSize 16MB | Out-Null; New-LhBackup -VolumeName v1 -SnapshotName s2 -Path '{h.Work}/a.img' -BlockSize 2MB")),
        Case(ErrorIds.InvalidCompressionMethod, ErrorCategory.InvalidArgument, h => WithTarget(h,
            $"New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.NewImage("a.img", 4, 0)}' | Out-Null; " +
            $"$f = Get-ChildItem -Recurse -Filter volume.cfg '{h.Target}'; (Get-Content -Raw $f) -replace '\\\\\"lz4\\\\\"', '\\\"zstd\\\"' | Set-Content -NoNewline $f; " +
            $"New-LhBackup -VolumeName v1 -SnapshotName s2 -Path '{h.Work}/a.img'")),
        Case(ErrorIds.SnapshotNotFound, ErrorCategory.ObjectNotFound, h => WithTarget(h, $"New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.Work}/nope.img'")),
        Case(ErrorIds.SnapshotReadFailed, ErrorCategory.InvalidData, h => WithTarget(h, $"New-Item -ItemType File '{h.Work}/empty.img' | Out-Null; New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.Work}/empty.img'")),
        Case(ErrorIds.BackupVolumeNotFound, ErrorCategory.ObjectNotFound, h => WithTarget(h, "Get-LhBackupVolume -Name nosuchvolume")),
        Case(ErrorIds.BackupNotFound, ErrorCategory.ObjectNotFound, h => WithTarget(h, "Restore-LhBackup -VolumeName v1 -Name backup-0000000000000000 -Path x.img", backup: true)),
        Case(ErrorIds.BackupInProgress, ErrorCategory.InvalidOperation, h => WithTarget(h,
            "$b = Get-LhBackup -VolumeName v1; $f = Get-ChildItem -Recurse -Filter \"backup_$($b.Name).cfg\" '" + h.Target + "'; " +
            "(Get-Content -Raw $f) -replace '\"CreatedTime\":\"[^\"]*\"', '\"CreatedTime\":\"\"' | Set-Content -NoNewline $f; $b | Restore-LhBackup -Path r.img", backup: true)),
        Case(ErrorIds.BackupNameInUse, ErrorCategory.ResourceExists, h => WithTarget(h,
            "$b = Get-LhBackup -VolumeName v1; New-LhBackup -VolumeName v1 -SnapshotName s9 -Path a.img -Name $b.Name", backup: true)),
        Case(ErrorIds.CorruptConfig, ErrorCategory.InvalidData, h => WithTarget(h,
            "$f = Get-ChildItem -Recurse -Filter 'backup_*.cfg' '" + h.Target + "'; Set-Content -LiteralPath $f -Value '{not json'; Get-LhBackup", backup: true)),
        Case(ErrorIds.BlockMissing, ErrorCategory.InvalidData, h => WithTarget(h,
            "Get-ChildItem -Recurse -Filter '*.blk' '" + h.Target + "' | Select-Object -First 1 | Remove-Item; Get-LhBackup | Restore-LhBackup -Path r.img", backup: true)),
        Case(ErrorIds.ChecksumMismatch, ErrorCategory.InvalidData, h => WithTarget(h,
            // A valid block of other content (another volume's) in place of v1's block.
            "$f = Get-ChildItem -Recurse -Filter '*.blk' '" + h.Target + "' | Select-Object -First 1; " +
            "New-LhBackup -VolumeName other -SnapshotName s -Path b.img | Out-Null; " +
            "$other = Get-ChildItem -Recurse -Filter '*.blk' '" + h.Target + "' | Where-Object FullName -like '*/other/*' | Select-Object -First 1; " +
            "Copy-Item -LiteralPath $other.FullName -Destination $f.FullName -Force; Get-LhBackup -VolumeName v1 | Restore-LhBackup -Path r.img", backup: true, secondImage: true)),
        Case(ErrorIds.BlockDecompressionFailed, ErrorCategory.InvalidData, h => WithTarget(h,
            "$f = Get-ChildItem -Recurse -Filter '*.blk' '" + h.Target + "' | Select-Object -First 1; [IO.File]::WriteAllBytes($f.FullName, [byte[]](4, 34, 77, 24, 1, 2, 3)); Get-LhBackup | Restore-LhBackup -Path r.img", backup: true)),
        Case(ErrorIds.RestoreTargetExists, ErrorCategory.ResourceExists, h => WithTarget(h, "Set-Content r.img x; Get-LhBackup | Restore-LhBackup -Path r.img", backup: true)),
        Case(ErrorIds.RestoreWriteFailed, ErrorCategory.WriteError, h => WithTarget(h, "Get-LhBackup | Restore-LhBackup -Path 'no/such/folder/r.img'", backup: true)),
        Case(ErrorIds.StoreWriteFailed, ErrorCategory.WriteError, h => WithTarget(h,
            $"Set-Content -LiteralPath '{h.Target}/backupstore' -Value 'a file where a folder belongs'; New-LhBackup -VolumeName v1 -SnapshotName s -Path '{h.NewImage("a.img", 4, 0)}'")),
        Case(ErrorIds.StoreReadFailed, ErrorCategory.ReadError, h => WithTarget(h,
            // A volume.cfg that cannot be read (a symbolic link to itself: ELOOP).
            "$f = Get-ChildItem -Recurse -Filter volume.cfg '" + h.Target + "'; Remove-Item $f; New-Item -ItemType SymbolicLink -Path $f.FullName -Target $f.FullName | Out-Null; Get-LhBackupVolume", backup: true)),
        Case(ErrorIds.LinkOutsideBackupTarget, ErrorCategory.SecurityError, h => WithTarget(h,
            // The volume's backups/ folder moved out of the store and linked back.
            "$d = Split-Path (Get-ChildItem -Recurse -Filter volume.cfg '" + h.Target + "').FullName; Move-Item \"$d/backups\" '" + h.Work + "/outside'; " +
            "New-Item -ItemType SymbolicLink -Path \"$d/backups\" -Target '" + h.Work + "/outside' | Out-Null; Get-LhBackup", backup: true)),
        Case(ErrorIds.RestoreTargetInsideStore, ErrorCategory.InvalidArgument, h => WithTarget(h,
            "Get-LhBackup | Restore-LhBackup -Path '" + h.Target + "/x.img' -Force", backup: true)),
        Case(ErrorIds.SnapshotSmallerThanVolume, ErrorCategory.InvalidArgument, h => WithTarget(h,
            $"New-LhBackup -VolumeName v1 -SnapshotName s2 -Path '{h.NewImage("small.img", 2, 0)}'", backup: true)),
        Case(ErrorIds.BlocksBeyondVolumeSize, ErrorCategory.InvalidData, h => WithTarget(h,
            // A volume record shrunk below the backup's second block, as an older version left it.
            $"$b = New-LhBackup -VolumeName v2 -SnapshotName s -Path '{h.NewImage("c.img", 4, 0, 1)}'; " +
            "$f = Get-ChildItem -Recurse -Filter volume.cfg '" + h.Target + "' | Where-Object { $_.Directory.Name -eq 'v2' }; " +
            "(Get-Content -Raw $f) -replace '\"Size\":\"\\d+\"', '\"Size\":\"2097152\"' | Set-Content -NoNewline $f; $b | Restore-LhBackup -Path r.img")),
        Case(ErrorIds.ReplicaNotFound, ErrorCategory.ObjectNotFound, h => $"Get-LhSnapshot -ReplicaPath '{h.Work}'"),
        Case(ErrorIds.ReplicaInvalid, ErrorCategory.InvalidData, h =>
            $"New-Item -ItemType Directory '{h.Work}/pvc-1-0a1b2c3d' | Out-Null; Set-Content '{h.Work}/pvc-1-0a1b2c3d/volume.meta' '{{not json'; Get-LhSnapshot -ReplicaPath '{h.Work}/pvc-1-0a1b2c3d'"),
        Case(ErrorIds.InvalidManifest, ErrorCategory.InvalidData, h => WithTarget(h,
            "Set-Content bad.yaml \"apiVersion: v1`nkind: Backup`nmetadata:`n  name: b1`nspec:`n  snapshotName: s\"; New-LhBackup -Manifest bad.yaml -VolumeName v1 -Path a.img", backup: true)),
        Case(ErrorIds.SnapshotPathMissing, ErrorCategory.InvalidArgument, h => WithTarget(h,
            "Set-Content good.yaml \"apiVersion: longhorn.io/v1beta2`nkind: Backup`nmetadata:`n  name: b1`nspec:`n  snapshotName: s\"; New-LhBackup -Manifest good.yaml -VolumeName v1")),
        Case(ErrorIds.ManifestInputNotSupported, ErrorCategory.InvalidArgument, h => "'just a string' | ConvertTo-LhManifest"),
        Case(ErrorIds.ManifestFileExists, ErrorCategory.ResourceExists, h => WithTarget(h,
            "Set-Content out.yaml x; Get-LhBackup | ConvertTo-LhManifest -Path out.yaml -NoClobber", backup: true)),
        Case(ErrorIds.LockConflict, ErrorCategory.ResourceUnavailable, h => WithTarget(h,
            // A live deletion lock, as Longhorn writes it, held on the volume.
            "$dir = Split-Path (Get-ChildItem -Recurse -Filter volume.cfg '" + h.Target + "').FullName; New-Item -ItemType Directory \"$dir/locks\" | Out-Null; " +
            "[IO.File]::WriteAllText(\"$dir/locks/lock-0123456789abcdef.lck\", '{\"Name\":\"lock-0123456789abcdef\",\"Type\":2,\"Acquired\":true}'); " +
            "New-LhBackup -VolumeName v1 -SnapshotName s2 -Path a.img", backup: true)),
        Case(ErrorIds.BackupVerificationFailed, ErrorCategory.InvalidData, h => WithTarget(h,
            "Get-ChildItem -Recurse -Filter '*.blk' '" + h.Target + "' | Select-Object -First 1 | Remove-Item; Test-LhBackup -VolumeName v1", backup: true)),
        // A hosted runspace has no user interface to ask with: a removal without -Force is refused, not attempted.
        Case(ErrorIds.ConfirmationRequired, ErrorCategory.InvalidOperation, h => WithTarget(h, "Get-LhBackup -VolumeName v1 | Remove-LhBackup", backup: true)),
        Case(ErrorIds.ExportListenFailed, ErrorCategory.ResourceUnavailable, h => WithTarget(h,
            $"Get-LhBackup | Start-LhBackupExport -SocketPath '{h.Work}/no/such/folder/x.sock'", backup: true)),
        Case(ErrorIds.ExportNotFound, ErrorCategory.ObjectNotFound, h => "Stop-LhBackupExport -Id 424242"),
        // This machine has no kernel NBD (nor nbd-client); the export works, the mount says what is missing.
        Case(ErrorIds.NbdNotAvailable, ErrorCategory.ResourceUnavailable, h => WithTarget(h,
            $"$e = Get-LhBackup | Start-LhBackupExport; try {{ $e | Mount-LhBackup -Path '{h.Work}' }} finally {{ $e | Stop-LhBackupExport }}", backup: true)),
        Case(ErrorIds.MountFailed, ErrorCategory.InvalidOperation, h => $"Dismount-LhBackup -Path '{h.Work}'"),
        Case(ErrorIds.InvalidTargetSetting, ErrorCategory.InvalidArgument, h => "Set-LhBackupTarget -Url s3://lhb-test@us-east-1/x/ -EndpointUrl 'not a url'"),
        Case(ErrorIds.CredentialsNotFound, ErrorCategory.AuthenticationError, h =>
            "Set-LhBackupTarget -Url s3://lhb-test@us-east-1/x/ -EndpointUrl http://127.0.0.1:9 -ProfileName no-such-profile -WarningAction SilentlyContinue; Get-LhBackup"),
        S3Case(ErrorIds.BucketNotFound, ErrorCategory.ObjectNotFound, HttpStatusCode.NotFound, "NoSuchBucket"),
        S3Case(ErrorIds.InvalidCredentials, ErrorCategory.AuthenticationError, HttpStatusCode.Forbidden, "InvalidAccessKeyId"),
        S3Case(ErrorIds.AccessDenied, ErrorCategory.PermissionDenied, HttpStatusCode.Forbidden, "AccessDenied"),
        S3Case(ErrorIds.WrongRegion, ErrorCategory.InvalidArgument, HttpStatusCode.BadRequest, "AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>"),
        Case(ErrorIds.TlsFailure, ErrorCategory.SecurityError, h =>
        {
            // https:// to a server that speaks plain HTTP: the TLS handshake fails.
            var server = new CannedS3Server(HttpStatusCode.OK, "None");
            h.OnDispose(server);
            return $"Set-LhBackupTarget -Url s3://lhb-test@us-east-1/x/ -EndpointUrl https://127.0.0.1:{server.Port} -AccessKey AKIDTEST " +
                   "-SecretKey (ConvertTo-SecureString 'test-secret' -AsPlainText -Force) -WarningAction SilentlyContinue; Get-LhBackupVolume";
        }),
    };

    /// <summary>An S3 target whose server answers every request with one S3 error; then a listing through the cmdlets.</summary>
    private static object[] S3Case(string id, ErrorCategory category, HttpStatusCode status, string code, string extra = "") =>
        Case(id, category, h =>
        {
            var server = new CannedS3Server(status, code, extra);
            h.OnDispose(server);
            return $"Set-LhBackupTarget -Url s3://lhb-test@us-east-1/x/ -EndpointUrl {server.Endpoint} -AccessKey AKIDTEST " +
                   "-SecretKey (ConvertTo-SecureString 'test-secret' -AsPlainText -Force) -WarningAction SilentlyContinue; Get-LhBackupVolume";
        });

    private static object[] Case(string id, ErrorCategory category, Func<PowerShellHost, string> script) =>
        new object[] { id, category, script };

    /// <summary>Sets the host's target first; with <paramref name="backup"/> also takes one backup of volume v1 from a.img.</summary>
    private static string WithTarget(PowerShellHost h, string script, bool backup = false, bool secondImage = false)
    {
        string setup = $"Set-LhBackupTarget -Url '{h.Target}'; ";
        if (backup) setup += $"New-LhBackup -VolumeName v1 -SnapshotName s1 -Path '{h.NewImage("a.img", 4, 0)}' | Out-Null; ";
        if (secondImage) h.NewImage("b.img", 4, 1);
        return setup + script;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Error_id_is_produced_with_its_category(string errorId, ErrorCategory category, Func<PowerShellHost, string> script)
    {
        using var host = new PowerShellHost();
        var (_, errors) = host.Run(script(host));
        var match = errors.FirstOrDefault(e => e.FullyQualifiedErrorId.StartsWith(errorId + ",", StringComparison.Ordinal));
        Assert.True(match is not null,
            $"expected {errorId}; got: {string.Join(" | ", errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message))}");
        Assert.Equal(category, match!.CategoryInfo.Category);
        Assert.False(string.IsNullOrWhiteSpace(match.Exception.Message));
    }

    [Fact]
    public void Every_error_id_has_a_case()
    {
        var all = typeof(ErrorIds).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();
        var covered = Cases().Select(c => (string)c[0]).ToHashSet();
        var missing = all.Except(covered).Except(EngineOnly.Keys).OrderBy(x => x).ToList();
        Assert.True(missing.Count == 0, "ErrorIds without a cmdlet test case: " + string.Join(", ", missing));
    }
}
