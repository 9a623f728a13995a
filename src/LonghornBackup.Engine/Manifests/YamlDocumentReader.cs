using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace LonghornBackup.Engine.Manifests;

/// <summary>One document of a YAML stream, as YamlDotNet's representation model (nodes keep their line).</summary>
internal sealed record YamlManifestDocument(string Source, int Index, YamlNode Root);

/// <summary>
/// Reads multi-document YAML streams into representation-model documents. Empty documents (a trailing "---") are
/// skipped as kubectl skips them, but still counted, so "document 3" is the third part between separators.
/// Syntax errors become problems naming the document and line; YamlDotNet's exceptions (its YamlExceptions and the
/// few .NET exceptions it throws for malformed text) never escape. Inputs beyond
/// <see cref="ManifestLimits"/> are refused before (size) or while (depth) the events are read, never built.
/// </summary>
internal static class YamlDocumentReader
{
    public static IReadOnlyList<YamlManifestDocument> Read(IEnumerable<ManifestSource> sources)
    {
        var documents = new List<YamlManifestDocument>();
        var problems = new List<ManifestProblem>();
        int streams = 0;
        foreach (var source in sources)
        {
            streams++;
            if (source.Text.Length > ManifestLimits.MaxCharacters)
            {
                problems.Add(new ManifestProblem(new ManifestLocation(source.Name, 0, null, "", 0),
                    $"the input is {source.Text.Length} characters long, more than the limit of {ManifestLimits.MaxCharacters}; a manifest is a few KB."));
                continue;
            }
            var counting = new DocumentCountingParser(new Parser(new StringReader(source.Text)));
            var stream = new YamlStream();
            try
            {
                stream.Load(counting);
            }
            catch (NestingTooDeepException e)
            {
                problems.Add(new ManifestProblem(new ManifestLocation(source.Name, Math.Max(1, counting.DocumentsStarted), null, "", e.Line),
                    $"the YAML nests deeper than the limit of {ManifestLimits.MaxDepth} mappings and sequences; reading stopped here."));
                continue;
            }
            catch (YamlException e)
            {
                int document = Math.Max(1, counting.DocumentsStarted);
                // An error found only at the end of the input (an unclosed bracket or quote) is shown where the
                // parser last made sense of the text, not at the empty line after it.
                bool atEnd = e.Start.Index >= source.Text.TrimEnd().Length && counting.LastLine > 0;
                problems.Add(new ManifestProblem(
                    new ManifestLocation(source.Name, document, null, "", atEnd ? counting.LastLine : (int)e.Start.Line),
                    atEnd
                        ? $"YAML syntax error: {Plain(e)} The input ended before the construct on this line was closed."
                        : $"YAML syntax error at column {e.Start.Column}: {Plain(e)}"));
                continue;
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
            {
                // YamlDotNet throws these for some malformed text (a flow mapping broken across lines at the wrong
                // indentation, a node right after an alias) instead of a YamlException: the same problem for the user.
                problems.Add(new ManifestProblem(new ManifestLocation(source.Name, Math.Max(1, counting.DocumentsStarted), null, "", Math.Max(1, counting.LastLine)),
                    "YAML syntax error near this line: the text cannot be read as YAML (check brackets, braces, aliases, quotes and indentation)."));
                continue;
            }
            int index = 0;
            foreach (var doc in stream.Documents)
            {
                index++;
                if (IsEmpty(doc.RootNode)) continue;
                documents.Add(new YamlManifestDocument(source.Name, index, doc.RootNode));
            }
        }
        if (problems.Count > 0) throw new InvalidManifestException(problems);
        if (documents.Count == 0)
        {
            string what = streams == 1 ? sources.First().Name : $"{streams} inputs";
            throw new InvalidManifestException(new[]
            {
                new ManifestProblem(new ManifestLocation(what, 0, null, "", 0),
                    "the YAML stream holds no document: give at least one manifest (apiVersion, kind, metadata, spec)."),
            });
        }
        return documents;
    }

    private static bool IsEmpty(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s && s.Tag.IsEmpty &&
        (string.IsNullOrEmpty(s.Value) || s.Value is "~" or "null" or "Null" or "NULL");

    /// <summary>YamlDotNet's message without its "(Line: .., Col: ..)" prefix: the location is given separately.</summary>
    private static string Plain(YamlException e)
    {
        string m = e.Message;
        int dash = m.IndexOf("): ", StringComparison.Ordinal);
        return m.StartsWith("(Line:", StringComparison.Ordinal) && dash > 0 ? m[(dash + 3)..] : m;
    }

    private sealed class NestingTooDeepException(int line) : Exception
    {
        public int Line { get; } = line;
    }

    /// <summary>
    /// Passes events through and counts document starts, so a syntax error can name its document and line; counts
    /// nesting too, and stops at <see cref="ManifestLimits.MaxDepth"/> before the node tree is built any deeper.
    /// </summary>
    private sealed class DocumentCountingParser(IParser inner) : IParser
    {
        private int _depth;
        public int DocumentsStarted { get; private set; }
        /// <summary>Line of the last event parsed without error.</summary>
        public int LastLine { get; private set; }
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool moved = inner.MoveNext();
            if (moved && inner.Current is { } current)
            {
                if (current is DocumentStart) DocumentsStarted++;
                LastLine = (int)current.Start.Line;
                if (current is MappingStart or SequenceStart && ++_depth > ManifestLimits.MaxDepth)
                    throw new NestingTooDeepException(LastLine);
                if (current is MappingEnd or SequenceEnd) _depth--;
            }
            return moved;
        }
    }
}
