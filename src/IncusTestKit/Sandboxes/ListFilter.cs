using System.Text;

namespace IncusTestKit.Sandboxes;

/// <summary>Builds the daemon's instance filter (<c>field eq value and ...</c>, values are anchored regular expressions).</summary>
internal static class ListFilter
{
    public static string? Build(SandboxType? type, SandboxState? state, string? prefix)
    {
        var clauses = new List<string>();
        if (type is { } t)
            clauses.Add("type eq " + (t == SandboxType.VirtualMachine ? "virtual-machine" : "container"));
        if (state is { } s and not SandboxState.Error)
            clauses.Add("status eq " + s);
        if (!string.IsNullOrEmpty(prefix))
            clauses.Add($"name eq ^{EscapeRegex(prefix)}");
        return clauses.Count == 0 ? null : string.Join(" and ", clauses);
    }

    // The filter splits on whitespace and quotes only work around spaces, so names are escaped, never quoted.
    private static string EscapeRegex(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                builder.Append('\\');
            builder.Append(c);
        }
        return builder.ToString();
    }
}
