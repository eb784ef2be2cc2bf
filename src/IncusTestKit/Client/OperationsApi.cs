using System.Text.Json;
using IncusTestKit.Client.Models;
using IncusTestKit.Diagnostics;

namespace IncusTestKit.Client;

/// <summary>
/// Background operations: waiting on them with the daemon's long-poll, never a polling loop. A wait is asked in rounds
/// (<c>/wait?timeout=N</c>), each of which the daemon answers after N seconds at the latest, done or not: a round it
/// does not answer within N plus the daemon timeout means it stopped answering, while an operation that legitimately
/// runs for an hour just takes many rounds. These rounds are also what proves the daemon alive while a quiet command's
/// streams carry nothing.
/// </summary>
internal sealed class OperationsApi(IncusClient client)
{
    // Without a daemon timeout, one request per half-minute of waiting; with one, rounds of half of it, so a daemon that
    // stops answering is noticed within about one and a half times the timeout.
    private const int MaxRoundSeconds = 30;

    private int RoundSeconds => client.Transport.DaemonTimeout == Timeout.InfiniteTimeSpan
        ? MaxRoundSeconds
        : Math.Clamp((int)Math.Ceiling(client.Transport.DaemonTimeout.TotalSeconds / 2), 1, MaxRoundSeconds);

    /// <summary>Waits until the operation is final; returns it when it succeeded and throws the mapped error when it failed.</summary>
    public async Task<Operation> WaitAsync(string id, IncusErrorContext context, CancellationToken cancellationToken)
    {
        var done = await WaitFinalAsync(id, context.What, cancellationToken).ConfigureAwait(false);
        return done.Succeeded ? done : throw IncusErrorMapper.Map(done.StatusCode == 401 ? 400 : 500, done.Err, context);
    }

    /// <summary>
    /// Waits until the operation is final and returns it, failed or not. /wait answers HTTP 200 (and sends its headers)
    /// at once, and its body when the operation ends or the round is over, even for a failed operation or its own
    /// timeout, so an error body is told apart by reading the operation itself; one that has already expired is
    /// rebuilt from the error text.
    /// </summary>
    /// <param name="id">The operation.</param>
    /// <param name="what">What the operation does, for the error when the daemon stops answering.</param>
    /// <param name="cancellationToken">Cancels the wait (not the operation).</param>
    /// <exception cref="Errors.IncusUnavailableException">The daemon did not answer a round in time, or went away.</exception>
    public async Task<Operation> WaitFinalAsync(string id, string? what, CancellationToken cancellationToken)
    {
        while (true)
        {
            var round = RoundSeconds;
            var response = await client.Transport.SendAsync(HttpMethod.Get, $"/1.0/operations/{id}/wait?timeout={round}", null,
                what, TimeSpan.FromSeconds(round), cancellationToken).ConfigureAwait(false);
            if (!response.IsError)
            {
                var done = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
                if (done.IsFinal)
                    return done;
                Log.OperationStillRunning(client.Logger, id, round);
                continue;
            }

            var current = await TryGetAsync(id, what, cancellationToken).ConfigureAwait(false);
            if (current is null)
                return new Operation { Id = id, Status = "Failure", StatusCode = 400, Err = response.Error };
            if (current.IsFinal)
                return current.Err.Length > 0 || current.Succeeded ? current : current with { Err = response.Error };
            Log.OperationStillRunning(client.Logger, id, round);
        }
    }

    /// <summary>The operation, or null when it is unknown or already expired (five seconds after it ended).</summary>
    public async Task<Operation?> TryGetAsync(string id, string? what, CancellationToken cancellationToken)
    {
        var response = await client.Transport.SendAsync(HttpMethod.Get, $"/1.0/operations/{id}", null, what, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        return response.IsError ? null : response.Metadata.Deserialize(IncusJsonContext.Default.Operation);
    }

    /// <summary>Cancels an operation when the daemon allows it; ignores the refusal of non-cancellable ones.</summary>
    public Task CancelAsync(string id, CancellationToken cancellationToken) =>
        client.Transport.SendAsync(HttpMethod.Delete, $"/1.0/operations/{id}", null, cancellationToken);
}
