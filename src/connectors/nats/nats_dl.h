/*
 * connectors/nats/nats_dl.h - nats.c, loaded when a job first uses it (dl.h).
 * Generated list: add a function here when the nats code starts calling it.
 */
#ifndef EMBER_DL_NATS_H
#define EMBER_DL_NATS_H

#include "core/dl.h"

#include <nats/nats.h>

#define EM_NATS_FUNCS(X) \
    X(jsCtx_Destroy) \
    X(jsPubOptions_Init) \
    X(jsStreamConfig_Init) \
    X(jsStreamInfo_Destroy) \
    X(jsSubOptions_Init) \
    X(js_AddStream) \
    X(js_GetStreamInfo) \
    X(js_PublishAsync) \
    X(js_PublishAsyncComplete) \
    X(js_PublishAsyncGetPendingList) \
    X(js_PullSubscribe) \
    X(natsConnection_Connect) \
    X(natsConnection_Destroy) \
    X(natsConnection_FlushTimeout) \
    X(natsConnection_JetStream) \
    X(natsConnection_Publish) \
    X(natsConnection_SubscribeSync) \
    X(natsMsgList_Destroy) \
    X(natsMsg_Ack) \
    X(natsMsg_Destroy) \
    X(natsMsg_GetData) \
    X(natsMsg_GetDataLength) \
    X(natsMsg_GetSubject) \
    X(natsOptions_Create) \
    X(natsOptions_Destroy) \
    X(natsOptions_SetDisconnectedCB) \
    X(natsOptions_SetMaxReconnect) \
    X(natsOptions_SetName) \
    X(natsOptions_SetReconnectWait) \
    X(natsOptions_SetReconnectedCB) \
    X(natsOptions_SetServers) \
    X(natsStatus_GetText) \
    X(natsSubscription_Destroy) \
    X(natsSubscription_Fetch) \
    X(natsSubscription_NextMsg) \
    X(nats_GetLastError)

typedef struct em_nats_api {
    EM_NATS_FUNCS(EM_DL_MEMBER)
} em_nats_api;

extern em_nats_api em__nats;

/* Loads nats.c (EM_SONAME_NATS) on first use. Returns 0, or -1 with the reason in err. */
int em__nats_load(char *err, size_t cap);

#ifndef EM_DL_NATS_IMPL
#undef jsCtx_Destroy
#define jsCtx_Destroy (em__nats.jsCtx_Destroy)
#undef jsPubOptions_Init
#define jsPubOptions_Init (em__nats.jsPubOptions_Init)
#undef jsStreamConfig_Init
#define jsStreamConfig_Init (em__nats.jsStreamConfig_Init)
#undef jsStreamInfo_Destroy
#define jsStreamInfo_Destroy (em__nats.jsStreamInfo_Destroy)
#undef jsSubOptions_Init
#define jsSubOptions_Init (em__nats.jsSubOptions_Init)
#undef js_AddStream
#define js_AddStream (em__nats.js_AddStream)
#undef js_GetStreamInfo
#define js_GetStreamInfo (em__nats.js_GetStreamInfo)
#undef js_PublishAsync
#define js_PublishAsync (em__nats.js_PublishAsync)
#undef js_PublishAsyncComplete
#define js_PublishAsyncComplete (em__nats.js_PublishAsyncComplete)
#undef js_PublishAsyncGetPendingList
#define js_PublishAsyncGetPendingList (em__nats.js_PublishAsyncGetPendingList)
#undef js_PullSubscribe
#define js_PullSubscribe (em__nats.js_PullSubscribe)
#undef natsConnection_Connect
#define natsConnection_Connect (em__nats.natsConnection_Connect)
#undef natsConnection_Destroy
#define natsConnection_Destroy (em__nats.natsConnection_Destroy)
#undef natsConnection_FlushTimeout
#define natsConnection_FlushTimeout (em__nats.natsConnection_FlushTimeout)
#undef natsConnection_JetStream
#define natsConnection_JetStream (em__nats.natsConnection_JetStream)
#undef natsConnection_Publish
#define natsConnection_Publish (em__nats.natsConnection_Publish)
#undef natsConnection_SubscribeSync
#define natsConnection_SubscribeSync (em__nats.natsConnection_SubscribeSync)
#undef natsMsgList_Destroy
#define natsMsgList_Destroy (em__nats.natsMsgList_Destroy)
#undef natsMsg_Ack
#define natsMsg_Ack (em__nats.natsMsg_Ack)
#undef natsMsg_Destroy
#define natsMsg_Destroy (em__nats.natsMsg_Destroy)
#undef natsMsg_GetData
#define natsMsg_GetData (em__nats.natsMsg_GetData)
#undef natsMsg_GetDataLength
#define natsMsg_GetDataLength (em__nats.natsMsg_GetDataLength)
#undef natsMsg_GetSubject
#define natsMsg_GetSubject (em__nats.natsMsg_GetSubject)
#undef natsOptions_Create
#define natsOptions_Create (em__nats.natsOptions_Create)
#undef natsOptions_Destroy
#define natsOptions_Destroy (em__nats.natsOptions_Destroy)
#undef natsOptions_SetDisconnectedCB
#define natsOptions_SetDisconnectedCB (em__nats.natsOptions_SetDisconnectedCB)
#undef natsOptions_SetMaxReconnect
#define natsOptions_SetMaxReconnect (em__nats.natsOptions_SetMaxReconnect)
#undef natsOptions_SetName
#define natsOptions_SetName (em__nats.natsOptions_SetName)
#undef natsOptions_SetReconnectWait
#define natsOptions_SetReconnectWait (em__nats.natsOptions_SetReconnectWait)
#undef natsOptions_SetReconnectedCB
#define natsOptions_SetReconnectedCB (em__nats.natsOptions_SetReconnectedCB)
#undef natsOptions_SetServers
#define natsOptions_SetServers (em__nats.natsOptions_SetServers)
#undef natsStatus_GetText
#define natsStatus_GetText (em__nats.natsStatus_GetText)
#undef natsSubscription_Destroy
#define natsSubscription_Destroy (em__nats.natsSubscription_Destroy)
#undef natsSubscription_Fetch
#define natsSubscription_Fetch (em__nats.natsSubscription_Fetch)
#undef natsSubscription_NextMsg
#define natsSubscription_NextMsg (em__nats.natsSubscription_NextMsg)
#undef nats_GetLastError
#define nats_GetLastError (em__nats.nats_GetLastError)
#endif

#endif
