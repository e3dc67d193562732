/**
 * Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as a process in
 * a program folder and driven over gRPC exactly as the engine drives it.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import * as readline from "readline";
import type * as Grpc from "@grpc/grpc-js";
import type * as ProviderServices from "@pulumi/pulumi/proto/provider_grpc_pb";
import type * as ProviderMessages from "@pulumi/pulumi/proto/provider_pb";
import type * as StructMessages from "google-protobuf/google/protobuf/struct_pb";

export interface HostResult {
  [key: string]: unknown;
}

type Client = ProviderServices.ResourceProviderClient;
/** The callback of one unary gRPC call. */
type Done<T> = (err: Grpc.ServiceError | null, res: T) => void;
/** What a DiffRequest and an UpdateRequest both carry: the resource, its old state and its new inputs. */
interface ChangeRequest {
  setUrn(value: string): unknown;
  setId(value: string): unknown;
  setOlds(value?: StructMessages.Struct): unknown;
  setNews(value?: StructMessages.Struct): unknown;
}

export class ProviderHost {
  private child?: ChildProcess;
  private client?: Client;
  private proto!: typeof ProviderMessages;
  private struct!: typeof StructMessages;
  stderr = "";

  constructor(private readonly programDir: string) {}

  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    // The program folder's own copies of the stubs: the host process loads those, and protobuf messages
    // only serialize with the classes of the same copy.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program folder's copy, by name
    const load = (m: string): unknown => require(require.resolve(m, { paths: [this.programDir] }));
    const grpc = load("@grpc/grpc-js") as typeof Grpc;
    const services = load("@pulumi/pulumi/proto/provider_grpc_pb") as typeof ProviderServices;
    this.proto = load("@pulumi/pulumi/proto/provider_pb") as typeof ProviderMessages;
    this.struct = load("google-protobuf/google/protobuf/struct_pb") as typeof StructMessages;
    const script = path.join(this.programDir, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js");
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TRAVELPERK_")));
    const child = spawn(process.execPath, [script, "127.0.0.1:1"], {
      cwd: this.programDir,
      env: { ...cleanEnv, PULUMI_PROJECT: "tp-test", PULUMI_STACK: "dev", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    child.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    const port = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.once("line", resolve);
      child.once("exit", (code) => {
        reject(new Error(`provider host exited (${String(code)}): ${this.stderr}`));
      });
    });
    this.client = new services.ResourceProviderClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
  }

  stop(): Promise<void> {
    this.client?.close();
    this.child?.kill();
    return Promise.resolve();
  }

  /** One unary call: `send` starts it on the client with the callback given. */
  private call<T>(send: (client: Client, done: Done<T>) => void): Promise<T> {
    const client = this.client;
    if (!client) return Promise.reject(new Error("provider host not started"));
    return new Promise((resolve, reject) => {
      send(client, (err, res) => {
        if (err) reject(err);
        else resolve(res);
      });
    });
  }

  private toStruct(value: object): StructMessages.Struct {
    return this.struct.Struct.fromJavaScript(value as Record<string, StructMessages.JavaScriptValue>);
  }

  /** `req` with the resource `urn`/`id`, its old state and its new inputs set. */
  private change<R extends ChangeRequest>(req: R, urn: string, id: string, olds: object, news: object): R {
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    return req;
  }

  async configure(variables: Record<string, string>): Promise<void> {
    const req = new this.proto.ConfigureRequest();
    req.setArgs(this.toStruct(variables));
    for (const [k, v] of Object.entries(variables)) req.getVariablesMap().set(k, v);
    await this.call<ProviderMessages.ConfigureResponse>((client, done) => client.configure(req, done));
  }

  async check(
    urn: string,
    olds: object,
    news: object,
  ): Promise<{ inputs: HostResult; failures: { property: string; reason: string }[] }> {
    const req = new this.proto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const res = await this.call<ProviderMessages.CheckResponse>((client, done) => client.check(req, done));
    return {
      inputs: res.getInputs()?.toJavaScript() ?? {},
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: object, news: object): Promise<{ changes: number; replaces: string[] }> {
    const req = this.change(new this.proto.DiffRequest(), urn, id, olds, news);
    const res = await this.call<ProviderMessages.DiffResponse>((client, done) => client.diff(req, done));
    return { changes: res.getChanges(), replaces: res.getReplacesList() };
  }

  async create(urn: string, properties: object): Promise<{ id: string; properties: HostResult }> {
    const req = new this.proto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(this.toStruct(properties));
    const res = await this.call<ProviderMessages.CreateResponse>((client, done) => client.create(req, done));
    return { id: res.getId(), properties: answerStruct(res.getProperties()) };
  }

  async read(
    urn: string,
    id: string,
    properties: object,
  ): Promise<{ id: string; properties: HostResult; inputs?: HostResult }> {
    const req = new this.proto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    const res = await this.call<ProviderMessages.ReadResponse>((client, done) => client.read(req, done));
    return {
      id: res.getId(),
      properties: res.getProperties()?.toJavaScript() ?? {},
      inputs: res.getInputs()?.toJavaScript(),
    };
  }

  async update(urn: string, id: string, olds: object, news: object): Promise<{ properties: HostResult }> {
    const req = this.change(new this.proto.UpdateRequest(), urn, id, olds, news);
    const res = await this.call<ProviderMessages.UpdateResponse>((client, done) => client.update(req, done));
    return { properties: answerStruct(res.getProperties()) };
  }

  async delete(urn: string, id: string, properties: object): Promise<void> {
    const req = new this.proto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    await this.call<unknown>((client, done) => client.delete(req, done));
  }
}

/** A struct the answer must carry (create and update always return properties). */
function answerStruct(struct: StructMessages.Struct | undefined): HostResult {
  if (!struct) throw new Error("the provider host answered without properties");
  return struct.toJavaScript();
}

/** The DiffResponse.DiffChanges values. */
export const DIFF = { UNKNOWN: 0, NONE: 1, SOME: 2 };

/** Starts the host and hands it the sandbox's settings through Configure, as the engine would. */
export async function startConfigured(
  host: ProviderHost,
  sandbox: { apiUrl: string; accessToken: string },
): Promise<void> {
  await host.start();
  await host.configure({
    "travelperk:apiUrl": sandbox.apiUrl,
    "travelperk:accessToken": sandbox.accessToken,
    "travelperk:retryBaseDelayMs": "5",
  });
}
