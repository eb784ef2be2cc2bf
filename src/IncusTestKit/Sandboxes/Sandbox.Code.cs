using System.Diagnostics;
using System.Security.Cryptography;
using IncusTestKit.Errors;
using IncusTestKit.Exec;

namespace IncusTestKit.Sandboxes;

public sealed partial class Sandbox
{
    /// <summary>
    /// Runs a piece of code: writes it to a unique temporary file in the sandbox, runs the language's interpreter
    /// on it, and removes the file whatever happens.
    /// </summary>
    /// <param name="code">The program text.</param>
    /// <param name="language">Python, Node, Bash, Ruby or Go.</param>
    /// <param name="options">Working directory, environment, user, timeout, stdin, output limit and live output.</param>
    /// <param name="cancellationToken">Cancels the run; the program is killed in the sandbox.</param>
    /// <returns>The exit code and the output (stdout and stderr in the order produced).</returns>
    /// <exception cref="CommandFailedException">The image has no interpreter for the language.</exception>
    /// <exception cref="SandboxTimeoutException">It ran longer than the timeout and was killed; the message says what was killed (see <see cref="CommandOptions.Timeout"/>).</exception>
    public async Task<CodeResult> RunCodeAsync(string code, CodeLanguage language, CommandOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken = _client.CallToken(cancellationToken);
        ArgumentNullException.ThrowIfNull(code);
        options ??= new CommandOptions();
        var stopwatch = Stopwatch.StartNew();
        var (extension, interpreter) = CodeRunners.Of(language);
        var path = $"/tmp/isb-code-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}{extension}";
        var environment = new Dictionary<string, string>(options.Environment, StringComparer.Ordinal);
        if (language == CodeLanguage.Python)
            environment.TryAdd("PYTHONUNBUFFERED", "1"); // so stdout and stderr interleave as the program wrote them
        if (language == CodeLanguage.Go)
        {
            // go needs a writable cache and home; /tmp is writable for every user.
            environment.TryAdd("GOCACHE", "/tmp/isb-gocache");
            environment.TryAdd("HOME", "/tmp");
        }

        var (uid, gid) = await ResolveUserAsync(options.User, new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        await _client.Incus.Files.WriteAsync(Name, path, new StringContent(code), uid, gid, 0x1A4 /* 0644 */, cancellationToken).ConfigureAwait(false);
        try
        {
            string[] argv = ["sh", "-c", CodeRunners.Wrapper, .. interpreter, path];
            var result = await RunCommandAsync(argv, options with { Environment = environment, OnOutput = ProgramOutputOnly(options.OnOutput) }, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 127 && result.Stderr.Contains(CodeRunners.MissingMarker, StringComparison.Ordinal))
            {
                throw new CommandFailedException(
                    $"Cannot run {language} code: the image '{Image}' of sandbox '{Name}' has no '{interpreter[0]}'. " +
                    "Use an image that has it (isb/debian12 has python3, node, bash and ruby; build/bootstrap.sh --with-go adds go).");
            }
            return new CodeResult
            {
                Language = language,
                ExitCode = result.ExitCode,
                Output = result.Stdout,
                Duration = stopwatch.Elapsed,
                Truncated = result.Truncated,
            };
        }
        finally
        {
            await RemoveQuietlyAsync(path).ConfigureAwait(false);
        }
    }

    // The wrapper sends the program's stderr to stdout; its own stderr carries only the missing-interpreter marker,
    // which is not the program's output and must not reach a live display.
    private static Func<OutputChunk, CancellationToken, ValueTask>? ProgramOutputOnly(Func<OutputChunk, CancellationToken, ValueTask>? onOutput) =>
        onOutput is null ? null : (chunk, ct) => chunk.Source == OutputSource.Stdout ? onOutput(chunk, ct) : ValueTask.CompletedTask;

    // Runs after a cancellation too, so it has its own bound instead of the caller's token.
    private async Task RemoveQuietlyAsync(string path)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _client.Incus.Files.DeleteAsync(Name, path, bound.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IncusTestKitException or OperationCanceledException)
        {
            // The sandbox may be gone or stopped; nothing is left on the host either way.
        }
    }
}
