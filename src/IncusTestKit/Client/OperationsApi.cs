using System.Text.Json;
using IncusTestKit.Client.Models;

namespace IncusTestKit.Client;

/// <summary>Background operations: waiting on them with the daemon's long-poll, never a polling loop.</summary>
internal sealed class OperationsApi(IncusClient client)
{
    // Short enough that a wedged wait is noticed, long enough that a wait costs one request.
    private const int WaitSliceSeconds = 30;

    /// <summary>Waits until the operation is final; returns it when it succeeded and throws the mapped error when it failed.</summary>
    public async Task<Operation> WaitAsync(string id, IncusErrorContext context, CancellationToken cancellationToken)
    {
        var done = await WaitFinalAsync(id, cancellationToken).ConfigureAwait(false);
        return done.Succeeded ? done : throw IncusErrorMapper.Map(done.StatusCode == 401 ? 400 : 500, done.Err, context);
    }

    /// <summary>
    /// Waits until the operation is final and returns it, failed or not. /wait answers HTTP 200 even for a failed
    /// operation or its own timeout, so an error body is told apart by reading the operation itself; one that has
    /// already expired is rebuilt from the error text.
    /// </summary>
    public async Task<Operation> WaitFinalAsync(string id, CancellationToken cancellationToken)
    {
        while (true)
        {
            var response = await client.Transport.SendAsync(HttpMethod.Get,
                $"/1.0/operations/{id}/wait?timeout={WaitSliceSeconds}", null, cancellationToken).ConfigureAwait(false);
            if (!response.IsError)
            {
                var done = response.Metadata.Deserialize(IncusJsonContext.Default.Operation)!;
                if (done.IsFinal)
                    return done;
                continue;
            }

            var current = await TryGetAsync(id, cancellationToken).ConfigureAwait(false);
            if (current is null)
                return new Operation { Id = id, Status = "Failure", StatusCode = 400, Err = response.Error };
            if (current.IsFinal)
                return current.Err.Length > 0 || current.Succeeded ? current : current with { Err = response.Error };
        }
    }

    /// <summary>The operation, or null when it is unknown or already expired (five seconds after it ended).</summary>
    public async Task<Operation?> TryGetAsync(string id, CancellationToken cancellationToken)
    {
        var response = await client.Transport.SendAsync(HttpMethod.Get, $"/1.0/operations/{id}", null, cancellationToken).ConfigureAwait(false);
        return response.IsError ? null : response.Metadata.Deserialize(IncusJsonContext.Default.Operation);
    }

    /// <summary>Cancels an operation when the daemon allows it; ignores the refusal of non-cancellable ones.</summary>
    public Task CancelAsync(string id, CancellationToken cancellationToken) =>
        client.Transport.SendAsync(HttpMethod.Delete, $"/1.0/operations/{id}", null, cancellationToken);
}
