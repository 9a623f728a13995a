using Azure.Core;
using Azure.Core.Pipeline;

namespace LonghornBackup.Engine.Store.AzureBlob;

/// <summary>
/// Has the SDK read every answer whole inside its pipeline (with its per-read time limit), where a body that is reset,
/// cut short or stalls fails the call itself. Downloads would otherwise hand back a stream that resumes a failed body
/// with ranged GETs of its own: a second retry layer beneath the store's (<see cref="Http.RequestRetries"/>) that the
/// store could neither count nor pace. Blobs here are configs and blocks of a few MiB, which the store reads whole anyway.
/// </summary>
internal sealed class AzureBlobWholeAnswers : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message) => message.BufferResponse = true;
}
