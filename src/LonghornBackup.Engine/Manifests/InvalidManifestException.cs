using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// The InvalidManifest error: every problem found in the whole stream (all documents are checked before anything is
/// applied), each naming its document, field and line. Messages never contain Secret values.
/// </summary>
public sealed class InvalidManifestException : LonghornBackupException
{
    public InvalidManifestException(IReadOnlyList<ManifestProblem> problems, Exception? inner = null)
        : base(ErrorIds.InvalidManifest, ErrorKind.InvalidData, Describe(problems), problems.Count > 0 ? problems[0].Location.Source : null,
            "Fix the manifest at the line named and apply it again; nothing was written.", inner)
    {
        Problems = problems;
    }

    public IReadOnlyList<ManifestProblem> Problems { get; }

    private static string Describe(IReadOnlyList<ManifestProblem> problems) => problems.Count switch
    {
        0 => "The manifest is invalid.",
        1 => $"Invalid manifest: {problems[0]}",
        _ => $"The manifest has {problems.Count} problems:{Environment.NewLine}  " +
             string.Join(Environment.NewLine + "  ", problems.Select(p => p.ToString())),
    };
}
