namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// One YAML stream to read: its text and what to call it in messages (a file path, or "pipeline input 2").
/// A stream may hold several documents separated by "---".
/// </summary>
public sealed record ManifestSource(string Name, string Text)
{
    /// <summary>The absolute path of the file the text was read from; null for text from the pipeline.</summary>
    public string? FilePath { get; init; }

    public static ManifestSource FromFile(string path)
    {
        try
        {
            // Checked before reading: a huge file would be read whole into memory only to be refused.
            var info = new FileInfo(path);
            if (info.Exists && info.Length > ManifestLimits.MaxCharacters)
                throw new InvalidManifestException(new[]
                {
                    new ManifestProblem(new ManifestLocation(path, 0, null, "", 0),
                        $"the file is {info.Length} bytes long, more than the limit of {ManifestLimits.MaxCharacters}; a manifest is a few KB."),
                });
            return new ManifestSource(path, File.ReadAllText(path)) { FilePath = Path.GetFullPath(path) };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            bool missing = e is FileNotFoundException or DirectoryNotFoundException;
            throw new Errors.LonghornBackupException(Errors.ErrorIds.InvalidManifest,
                missing ? Errors.ErrorKind.NotFound : Errors.ErrorKind.ReadError,
                missing ? $"The manifest file '{path}' does not exist." : $"The manifest file '{path}' cannot be read: {e.Message}",
                path, inner: e);
        }
    }

    // The text may hold credentials (a Secret manifest): never print it.
    public override string ToString() => Name;
}
