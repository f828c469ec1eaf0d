// Envoy cannot run on these machines: check that deploy/envoy.yaml parses and
// has the settings long grpc-web streams need.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const config = parse(readFileSync(new URL("../../../deploy/envoy.yaml", import.meta.url), "utf8"));
const manager = config.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const host = manager.route_config.virtual_hosts[0];
const cluster = config.static_resources.clusters[0];

describe("deploy/envoy.yaml", () => {
  it("translates grpc-web, then CORS, then routes", () => {
    expect(manager.http_filters.map((f: { name: string }) => f.name)).toEqual([
      "envoy.filters.http.grpc_web",
      "envoy.filters.http.cors",
      "envoy.filters.http.router",
    ]);
  });
  it("exposes the gRPC status headers to the browser", () => {
    const cors = host.typed_per_filter_config["envoy.filters.http.cors"];
    for (const header of ["grpc-status", "grpc-message", "grpc-status-details-bin"]) {
      expect(cors.expose_headers).toContain(header);
    }
    expect(cors.allow_headers).toContain("x-grpc-web");
  });
  it("never times out a long stream", () => {
    const route = host.routes[0].route;
    expect(route.timeout).toBe("0s");
    expect(route.max_stream_duration.grpc_timeout_header_max).toBe("0s");
    // A silent stream gets a heartbeat after 30 s (the server's default
    // --progress_interval): the idle timeout must be well above that.
    expect(parseInt(manager.stream_idle_timeout)).toBeGreaterThanOrEqual(60);
  });
  it("speaks HTTP/2 upstream, health-checks with gRPC, and lets many watches through", () => {
    const options = cluster.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"];
    expect(options.explicit_http_config.http2_protocol_options).toBeDefined();
    expect(cluster.health_checks[0].grpc_health_check).toBeDefined();
    expect(cluster.circuit_breakers.thresholds[0].max_requests).toBeGreaterThan(1024);
    expect(cluster.load_assignment.endpoints[0].lb_endpoints.length).toBe(2);
  });
});
