namespace Baton.Jq.Tests;

/// <summary>One case of a file in jq's test format.</summary>
internal sealed record JqCase(int Line, string Program, string? Input, IReadOnlyList<string> Expected, bool MustFail);

/// <summary>Reads jq's test-file format: a program line, an input line, one line per expected output, then a blank
/// line; "%%FAIL" followed by a program (and any message lines) for a program that must not compile; "#" comments.</summary>
internal static class CaseFile
{
    public static List<JqCase> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        var cases = new List<JqCase>();
        var i = 0;
        while (i < lines.Length)
        {
            if (lines[i].Length == 0 || lines[i].StartsWith('#')) { i++; continue; }
            var start = i + 1;
            if (lines[i] == "%%FAIL")
            {
                cases.Add(new JqCase(start, lines[i + 1], null, [], MustFail: true));
                i += 2;
                while (i < lines.Length && lines[i].Length > 0) i++;
                continue;
            }
            var program = lines[i];
            var input = lines[i + 1];
            i += 2;
            var expected = new List<string>();
            while (i < lines.Length && lines[i].Length > 0) expected.Add(lines[i++]);
            cases.Add(new JqCase(start, program, input, expected, MustFail: false));
        }
        return cases;
    }

    public static string FilePath(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Cases", name);
}
