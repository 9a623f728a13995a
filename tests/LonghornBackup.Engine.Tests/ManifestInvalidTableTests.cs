using LonghornBackup.Engine.Errors;
using LonghornBackup.Engine.Manifests;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// The table of invalid Backup manifests (tests/Pester/manifests/invalid): each gives InvalidManifest with its own
/// message, naming the document, the field and the line.
/// </summary>
public class ManifestInvalidTableTests
{
    public static IEnumerable<object[]> Cases() => ManifestTestFiles.InvalidCaseNames();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_invalid_manifest_names_document_field_and_line(string fileName)
    {
        var c = ManifestTestFiles.LoadInvalid(fileName);
        var e = Assert.Throws<InvalidManifestException>(() => c.Apply());

        Assert.Equal(ErrorIds.InvalidManifest, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        var problem = Assert.Single(e.Problems);
        Assert.Equal(c.Document, problem.Location.Document);
        Assert.Equal(c.Field, problem.Location.FieldPath);
        Assert.Equal(c.Line, problem.Location.Line);
        Assert.Contains(c.Message, problem.Message);
        // The message the user reads carries all of it.
        if (c.Document > 0) Assert.Contains($"document {c.Document}", e.Message);
        if (c.Line > 0) Assert.Contains($"line {c.Line}", e.Message);
        if (c.Field.Length > 0) Assert.Contains(c.Field, e.Message);
        Assert.Contains(c.Path, e.Message);
    }

    [Fact]
    public void The_table_has_at_least_twelve_cases_each_with_its_own_message()
    {
        var messages = ManifestTestFiles.InvalidCaseNames()
            .Select(n => Assert.Throws<InvalidManifestException>(() => ManifestTestFiles.LoadInvalid((string)n[0]).Apply()).Problems[0].Message)
            .ToList();
        Assert.True(messages.Count >= 12, $"only {messages.Count} invalid manifests in the table");
        Assert.Equal(messages.Count, messages.Distinct().Count());
    }

    [Fact]
    public void Problems_in_several_documents_are_all_reported_at_once()
    {
        const string yaml = """
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: a
            spec:
              snapshotName: s
            ---
            apiVersion: longhorn.io/v1beta2
            kind: Backup
            metadata:
              name: backup-ok
            spec:
              snapshotName: s
              backupMode: sometimes
              labels:
                app: "not ok"
            """;
        var e = Assert.Throws<InvalidManifestException>(() => ManifestParser.Parse(yaml, "two.yaml", ManifestKinds.Backup));
        Assert.Equal(new[] { "metadata.name", "spec.backupMode", "spec.labels.app" }, e.Problems.Select(p => p.Location.FieldPath));
        Assert.Equal(new[] { 1, 2, 2 }, e.Problems.Select(p => p.Location.Document));
        Assert.Equal(new[] { 4, 14, 16 }, e.Problems.Select(p => p.Location.Line));
        Assert.StartsWith("The manifest has 3 problems:", e.Message);
        Assert.Contains("document 2 (backup-ok) of two.yaml, line 14, spec.backupMode", e.Message);
    }

    [Fact]
    public void A_syntax_error_in_a_later_document_names_that_document()
    {
        const string yaml = "apiVersion: longhorn.io/v1beta2\nkind: Backup\n---\napiVersion: longhorn.io/v1beta2\nkind: [Backup\n";
        var e = Assert.Throws<InvalidManifestException>(() => ManifestParser.Parse(yaml, "x.yaml", ManifestKinds.Backup));
        Assert.Equal(2, Assert.Single(e.Problems).Location.Document);
        Assert.Contains("YAML syntax error", e.Message);
    }
}
