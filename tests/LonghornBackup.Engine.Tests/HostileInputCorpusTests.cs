using LonghornBackup.Engine.Blocks;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Tests;

/// <summary>
/// Runs every case of <see cref="HostileInputCorpus"/>: the module's own error id, a message naming the offending
/// value or file, and nothing changed in the store or around it (the whole test folder, outside folders included).
/// </summary>
public class HostileInputCorpusTests
{
    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in HostileInputCorpus.Cases) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Each_hostile_input_gets_its_error_naming_the_value_and_changes_nothing(string name)
    {
        var c = HostileInputCorpus.Cases.Single(x => x.Name == name);
        using var t = new TestStore();
        await HostileInputCorpus.SeedAsync(t);
        string offending = c.Arrange(t);
        string before = State(t);

        // Not a timing assertion: a FIFO opened by mistake blocks forever, and the test must then fail, not hang.
        var act = Task.Run(() => c.Act(t, offending));
        var finished = await Task.WhenAny(act, Task.Delay(TimeSpan.FromMinutes(2)));
        Assert.True(finished == act, $"'{name}' did not return: it blocked");
        var e = await Assert.ThrowsAnyAsync<LonghornBackupException>(() => act);

        Assert.Equal(c.ErrorId, e.ErrorId);
        Assert.Contains(offending, e.Message);
        Assert.Equal(before, State(t));
    }

    [Fact]
    public void The_corpus_names_are_unique()
    {
        var names = HostileInputCorpus.Cases.Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    /// <summary>Every file and link under the test's folder (store and outside folders) with its content hash.</summary>
    private static string State(TestStore t)
    {
        string top = Path.GetDirectoryName(t.Root)!;
        var lines = new List<string>();
        foreach (var entry in new DirectoryInfo(top).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true }))
        {
            string rel = Path.GetRelativePath(top, entry.FullName);
            if (entry.LinkTarget is { } link) lines.Add($"{rel} -> {link}");
            else if (entry is DirectoryInfo) lines.Add(rel + "/");
            else if (ImageFileType.Unsupported(entry.FullName) is { } kind) lines.Add($"{rel} ({kind})");   // never open a FIFO
            else lines.Add($"{rel}={TestImages.Sha256(entry.FullName)}");
        }
        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines);
    }
}
