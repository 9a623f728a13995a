namespace LonghornBackup.Engine.Errors;

/// <summary>Stable error ids. The README's error table lists each with its category.</summary>
public static class ErrorIds
{
    public const string BackupTargetNotSet = "BackupTargetNotSet";
    public const string InvalidBackupTargetUrl = "InvalidBackupTargetUrl";
    public const string BackupTargetUnreachable = "BackupTargetUnreachable";
    public const string InvalidTargetSetting = "InvalidTargetSetting";
    public const string CredentialsNotFound = "CredentialsNotFound";
    public const string InvalidCredentials = "InvalidCredentials";
    public const string AccessDenied = "AccessDenied";
    public const string BucketNotFound = "BucketNotFound";
    public const string WrongRegion = "WrongRegion";
    public const string TlsFailure = "TlsFailure";
    public const string InvalidName = "InvalidName";
    public const string InvalidLabel = "InvalidLabel";
    public const string InvalidBlockSize = "InvalidBlockSize";
    public const string InvalidBlockShare = "InvalidBlockShare";
    public const string InvalidCompressionMethod = "InvalidCompressionMethod";
    public const string SnapshotNotFound = "SnapshotNotFound";
    public const string SnapshotReadFailed = "SnapshotReadFailed";
    public const string BackupVolumeNotFound = "BackupVolumeNotFound";
    public const string BackupNotFound = "BackupNotFound";
    public const string BackupInProgress = "BackupInProgress";
    public const string BackupNameInUse = "BackupNameInUse";
    public const string BlockSizeMismatch = "BlockSizeMismatch";
    public const string CorruptConfig = "CorruptConfig";
    public const string BlockMissing = "BlockMissing";
    public const string ChecksumMismatch = "ChecksumMismatch";
    public const string BlockDecompressionFailed = "BlockDecompressionFailed";
    public const string RestoreTargetExists = "RestoreTargetExists";
    public const string RestoreWriteFailed = "RestoreWriteFailed";
    public const string StoreWriteFailed = "StoreWriteFailed";
    public const string StoreReadFailed = "StoreReadFailed";
    public const string OperationCancelled = "OperationCancelled";
    /// <summary>A Longhorn custom-resource manifest (YAML) is malformed or breaks the CRD's rules.</summary>
    public const string InvalidManifest = "InvalidManifest";
    /// <summary>A Backup manifest names a snapshot, but no image path was given for it.</summary>
    public const string SnapshotPathMissing = "SnapshotPathMissing";
    /// <summary>ConvertTo-LhManifest was given an object that has no Longhorn custom resource.</summary>
    public const string ManifestInputNotSupported = "ManifestInputNotSupported";
    /// <summary>ConvertTo-LhManifest -Path -NoClobber found the file already there.</summary>
    public const string ManifestFileExists = "ManifestFileExists";
    public const string LockConflict = "LockConflict";
    public const string BackupVerificationFailed = "BackupVerificationFailed";
    public const string InvalidRetention = "InvalidRetention";
    /// <summary>Remove-LhBackup -UseTargetPolicy on a target that keeps no retention policy.</summary>
    public const string RetentionPolicyNotSet = "RetentionPolicyNotSet";
    /// <summary>A backup's source is smaller than its volume's recorded size: volumes only grow (Longhorn's rule).</summary>
    public const string SnapshotSmallerThanVolume = "SnapshotSmallerThanVolume";
    /// <summary>A backup maps blocks at or beyond its volume's recorded size; a restore by that size would drop them.</summary>
    public const string BlocksBeyondVolumeSize = "BlocksBeyondVolumeSize";
    /// <summary>-ReplicaPath is not a Longhorn replica directory (no volume.meta), or does not exist.</summary>
    public const string ReplicaNotFound = "ReplicaNotFound";
    /// <summary>A replica directory's metadata is malformed, or its layer chain is broken.</summary>
    public const string ReplicaInvalid = "ReplicaInvalid";
    /// <summary>A replica layer changed (size, time or extents) while it was read: Longhorn was coalescing or purging.</summary>
    public const string SnapshotChanged = "SnapshotChanged";
    /// <summary>A path in a folder target is (or passes through) a symbolic link that leads outside the target.</summary>
    public const string LinkOutsideBackupTarget = "LinkOutsideBackupTarget";
    /// <summary>A restore destination lies inside the backup target's own folder.</summary>
    public const string RestoreTargetInsideStore = "RestoreTargetInsideStore";
    /// <summary>A removal needs confirmation, but the session cannot ask (-NonInteractive, standard input at its end): use -Force.</summary>
    public const string ConfirmationRequired = "ConfirmationRequired";
    /// <summary>An export cannot listen on its Unix socket or TCP port (in use, no such folder, no permission).</summary>
    public const string ExportListenFailed = "ExportListenFailed";
    /// <summary>No running export has that id.</summary>
    public const string ExportNotFound = "ExportNotFound";
    /// <summary>Mount-LhBackup needs Linux, root, the kernel's NBD driver and nbd-client; the message says which is missing.</summary>
    public const string NbdNotAvailable = "NbdNotAvailable";
    /// <summary>
    /// Connecting the NBD device, mounting or unmounting failed, or the path is not a mounted backup; or an nfs:// or
    /// cifs:// export could not be mounted (the message has each command tried and its output).
    /// </summary>
    public const string MountFailed = "MountFailed";
    /// <summary>An nfs:// or cifs:// export is not mounted and this process cannot mount it (not root, not Linux); the fix names the mount command.</summary>
    public const string BackupTargetNotMounted = "BackupTargetNotMounted";
}
