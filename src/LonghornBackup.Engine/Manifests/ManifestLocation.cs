using System.Text;

namespace LonghornBackup.Engine.Manifests;

/// <summary>
/// Where in a manifest something is: the stream, the document (1-based, counted as the "---" separators count it),
/// the document's metadata.name when known, the field path (e.g. spec.backupMode) and the line (1-based).
/// </summary>
public sealed record ManifestLocation(string Source, int Document, string? DocumentName, string FieldPath, int Line)
{
    public override string ToString()
    {
        var s = new StringBuilder();
        if (Document > 0)   // 0: the stream as a whole (e.g. it holds no document)
        {
            s.Append("document ").Append(Document);
            if (!string.IsNullOrEmpty(DocumentName)) s.Append(" (").Append(DocumentName).Append(')');
            s.Append(" of ");
        }
        s.Append(Source);
        if (Line > 0) s.Append(", line ").Append(Line);
        if (!string.IsNullOrEmpty(FieldPath)) s.Append(", ").Append(FieldPath);
        return s.ToString();
    }
}

/// <summary>One reason a manifest is invalid, with its location.</summary>
public sealed record ManifestProblem(ManifestLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>A warning about a manifest that still applies (an unknown field is ignored, not fatal).</summary>
public sealed record ManifestWarning(ManifestLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}
