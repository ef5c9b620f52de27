/*
 * Why this exists: the zeelos gateway terminates CoAP/DTLS with its own OpenSSL-based stack. Testing it only with
 * clients built on the same stack (or written by us) would hide interop bugs. This peer is an LwM2M 1.1 client made
 * from Eclipse Leshan 2.0.0-M4, whose DTLS is Californium Scandium -- an independent implementation -- so pytest can
 * check registration, read/write/observe/execute and de-registration over coap:// and coaps:// (PSK and X.509)
 * against software nobody here wrote.
 *
 * Protocol with the test (stdout, one line each, flushed): READY, REGISTERED <id>, REGISTRATION_FAILED <c.dd> <msg>,
 * REGISTRATION_TIMEOUT, UPDATED, UPDATE_FAILED <c.dd> <msg>, DEREGISTERED, DEREGISTRATION_FAILED <c.dd> <msg>,
 * ERROR <msg>. Stdin commands: update | deregister | quit; EOF == deregister. SIGTERM: destroy (no de-register), exit.
 * Leshan/Californium logs go to stderr (slf4j-simple, level warn; --verbose for info/debug).
 */
package io.zeelos.test;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.californium.core.coap.Request;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.config.NetworkConfig;
import org.eclipse.californium.core.network.interceptors.MessageInterceptorAdapter;
import org.eclipse.californium.core.observe.ObservationStore;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.eclipse.leshan.client.californium.LeshanClient;
import org.eclipse.leshan.client.californium.LeshanClientBuilder;
import org.eclipse.leshan.client.engine.DefaultRegistrationEngineFactory;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.observer.LwM2mClientObserverAdapter;
import org.eclipse.leshan.client.resource.BaseInstanceEnabler;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.ServerIdentity;
import org.eclipse.leshan.core.CertificateUsage;
import org.eclipse.leshan.core.LwM2m.Version;
import org.eclipse.leshan.core.LwM2mId;
import org.eclipse.leshan.core.ResponseCode;
import org.eclipse.leshan.core.californium.DefaultEndpointFactory;
import org.eclipse.leshan.core.model.ObjectLoader;
import org.eclipse.leshan.core.model.ObjectModel;
import org.eclipse.leshan.core.model.ResourceModel;
import org.eclipse.leshan.core.model.ResourceModel.Operations;
import org.eclipse.leshan.core.model.ResourceModel.Type;
import org.eclipse.leshan.core.model.StaticModel;
import org.eclipse.leshan.core.node.LwM2mResource;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.DeregisterRequest;
import org.eclipse.leshan.core.request.RegisterRequest;
import org.eclipse.leshan.core.request.UpdateRequest;
import org.eclipse.leshan.core.response.ExecuteResponse;
import org.eclipse.leshan.core.response.ReadResponse;
import org.eclipse.leshan.core.response.WriteResponse;

public class LeshanTestClient {
    static final int SHORT_SERVER_ID = 123;

    static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String code(ResponseCode c) {
        return c == null ? "-" : String.format("%d.%02d", c.getCode() / 100, c.getCode() % 100);
    }

    static String msg(String m, Exception e) {
        return (m != null ? m : e != null ? e.toString() : "").replaceAll("\\s+", " ");
    }

    static void usage(String err) {
        System.err.println("error: " + err + "\nusage: java -jar leshan-client.jar --server coap[s]://HOST:PORT --ep NAME"
                + " [--lifetime 60] [--psk-id ID --psk-key HEX]"
                + " [--cert client.pem --key client.key [--server-cert-ca ca.pem [--no-name-check]]]"
                + " [--lwm2m 1.1|1.0] [--timeout SEC] [--retry SEC] [--local-port N] [--verbose]");
        System.exit(2);
    }

    /** Device /3/0: fixed identity strings, Reboot (4), Current Time (13), writable UTC Offset (14) and Timezone (15). */
    public static class Device extends BaseInstanceEnabler {
        volatile String utcOffset = "+00:00", timezone = "UTC";

        @Override public ReadResponse read(ServerIdentity identity, int rid) {
            switch (rid) {
            case 0: return ReadResponse.success(rid, "Leshan peer");
            case 1: return ReadResponse.success(rid, "zeelos-test-client");
            case 2: return ReadResponse.success(rid, "LP-0001");
            case 3: return ReadResponse.success(rid, "2.0.0-M4");
            case 11: return ReadResponse.success(rid, Map.of(0, 0L), Type.INTEGER); // Error Code: no error
            case 13: return ReadResponse.success(rid, new Date());
            case 14: return ReadResponse.success(rid, utcOffset);
            case 15: return ReadResponse.success(rid, timezone);
            case 16: return ReadResponse.success(rid, "U");
            default: return super.read(identity, rid);
            }
        }

        @Override public WriteResponse write(ServerIdentity identity, boolean replace, int rid, LwM2mResource value) {
            switch (rid) {
            case 13: return WriteResponse.success(); // accepted, clock is not ours to change
            case 14: utcOffset = String.valueOf(value.getValue()); fireResourcesChange(rid); return WriteResponse.success();
            case 15: timezone = String.valueOf(value.getValue()); fireResourcesChange(rid); return WriteResponse.success();
            default: return super.write(identity, replace, rid, value);
            }
        }

        @Override public ExecuteResponse execute(ServerIdentity identity, int rid, String params) {
            if (rid == 4) {
                out("REBOOT");
                return ExecuteResponse.success();
            }
            return super.execute(identity, rid, params);
        }

        @Override public List<Integer> getAvailableResourceIds(ObjectModel model) {
            return List.of(0, 1, 2, 3, 4, 11, 13, 14, 15, 16);
        }
    }

    /** Temperature /3303/0: Sensor Value (5700) changes every second so observations notify; Units (5701). */
    public static class Temperature extends BaseInstanceEnabler {
        volatile double value = 20.0;
        long tick = 0;

        void step() {
            tick++;
            value = Math.round((20.0 + 5.0 * Math.sin(tick / 10.0)) * 100.0) / 100.0;
            fireResourcesChange(5700);
        }

        @Override public ReadResponse read(ServerIdentity identity, int rid) {
            switch (rid) {
            case 5700: return ReadResponse.success(rid, value);
            case 5701: return ReadResponse.success(rid, "Cel");
            default: return super.read(identity, rid);
            }
        }

        @Override public List<Integer> getAvailableResourceIds(ObjectModel model) {
            return List.of(5700, 5701);
        }
    }

    static ObjectModel temperatureModel() {
        return new ObjectModel(3303, "Temperature", "Temperature sensor", "1.0", true, false,
                new ResourceModel(5700, "Sensor Value", Operations.R, false, true, Type.FLOAT, "", "", "Last value"),
                new ResourceModel(5701, "Sensor Units", Operations.R, false, false, Type.STRING, "", "", "Units"));
    }

    static byte[] pemBody(String path) throws Exception {
        String s = Files.readString(Path.of(path), StandardCharsets.US_ASCII);
        int b = s.indexOf("-----BEGIN ");
        if (b < 0)
            return Files.readAllBytes(Path.of(path)); // assume DER
        int start = s.indexOf('\n', b) + 1, end = s.indexOf("-----END ", start);
        return Base64.getMimeDecoder().decode(s.substring(start, end));
    }

    static byte[] der(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts)
            body.writeBytes(p);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = body.size();
        if (n >= 256) o.write(0x82);
        else if (n >= 128) o.write(0x81);
        if (n >= 256) o.write(n >> 8);
        o.write(n & 0xff);
        o.writeBytes(body.toByteArray());
        return o.toByteArray();
    }

    /** Private key as PKCS#8 DER: accepts "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC1, wrapped as P-256). */
    static byte[] privateKeyPkcs8(String path) throws Exception {
        String s = Files.readString(Path.of(path), StandardCharsets.US_ASCII);
        if (s.contains("ENCRYPTED"))
            throw new IllegalArgumentException("encrypted keys unsupported; use openssl pkcs8 -topk8 -nocrypt");
        byte[] body = pemBody(path);
        if (!s.contains("BEGIN EC PRIVATE KEY"))
            return body;
        byte[] version = { 2, 1, 0 };
        byte[] ecPublicKey = { 6, 7, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 2, 1 };
        byte[] prime256v1 = { 6, 8, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 3, 1, 7 };
        return der(0x30, version, der(0x30, ecPublicKey, prime256v1), der(0x04, body));
    }

    static X509Certificate readCert(String path) throws Exception {
        try (FileInputStream in = new FileInputStream(path)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static byte[] hex(String h) {
        h = h.replaceAll("^0x", "");
        if (h.length() % 2 != 0)
            usage("--psk-key must be an even number of hex digits");
        byte[] r = new byte[h.length() / 2];
        for (int i = 0; i < r.length; i++)
            r[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return r;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String k = argv[i];
            if (k.equals("--verbose") || k.equals("--no-name-check")) a.put(k, "1");
            else if (k.startsWith("--") && i + 1 < argv.length) a.put(k, argv[++i]);
            else usage("bad argument " + k);
        }
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", a.containsKey("--verbose") ? "debug" : "warn");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        String uri = a.get("--server"), ep = a.get("--ep");
        if (uri == null || ep == null)
            usage("--server and --ep are required");
        boolean secure = uri.startsWith("coaps://");
        if (!secure && !uri.startsWith("coap://"))
            usage("--server must be coap:// or coaps://");
        long lifetime = Long.parseLong(a.getOrDefault("--lifetime", "60"));
        String ver = a.getOrDefault("--lwm2m", "1.1");
        if (!ver.equals("1.1") && !ver.equals("1.0"))
            usage("--lwm2m must be 1.0 or 1.1");
        boolean psk = a.containsKey("--psk-id"), x509 = a.containsKey("--cert");
        if (secure && psk == x509)
            usage("coaps:// needs exactly one of --psk-id/--psk-key or --cert/--key");
        if (!secure && (psk || x509))
            usage("credentials given for a coap:// (NoSec) server");

        // Security /0/0 + Server /1/0 (short id 123)
        Security security;
        X509Certificate ca = null;
        boolean trustAll = false, skipName = a.containsKey("--no-name-check");
        if (psk) {
            if (!a.containsKey("--psk-key"))
                usage("--psk-key required with --psk-id");
            security = Security.psk(uri, SHORT_SERVER_ID, a.get("--psk-id").getBytes(StandardCharsets.UTF_8),
                    hex(a.get("--psk-key")));
        } else if (x509) {
            if (!a.containsKey("--key"))
                usage("--key required with --cert");
            byte[] clientCert = readCert(a.get("--cert")).getEncoded();
            byte[] key = privateKeyPkcs8(a.get("--key"));
            if (a.containsKey("--server-cert-ca")) {
                ca = readCert(a.get("--server-cert-ca"));
                // LwM2M certificate usage 2 "trust anchor assertion": PKIX to the CA + server name check (Leshan's own)
                security = Security.x509(uri, SHORT_SERVER_ID, clientCert, key, ca.getEncoded(),
                        CertificateUsage.TRUST_ANCHOR_ASSERTION.code);
            } else {
                // No CA: accept any server certificate. Leshan insists on a server cert in /0/0/4, so give it ours;
                // the verifier is replaced in the endpoint factory below.
                trustAll = true;
                security = Security.x509(uri, SHORT_SERVER_ID, clientCert, key, clientCert,
                        CertificateUsage.DOMAIN_ISSUER_CERTIFICATE.code);
            }
        } else {
            security = Security.noSec(uri, SHORT_SERVER_ID);
        }

        List<ObjectModel> models = new ArrayList<>(ObjectLoader.loadDefault(ver.equals("1.0") ? Version.V1_0 : Version.V1_1));
        models.add(temperatureModel());
        ObjectsInitializer init = new ObjectsInitializer(new StaticModel(models));
        init.setInstancesForObject(LwM2mId.SECURITY, security);
        init.setInstancesForObject(LwM2mId.SERVER, new Server(SHORT_SERVER_ID, lifetime, EnumSet.of(BindingMode.U), false,
                ver.equals("1.0") ? null : BindingMode.U));
        Device device = new Device();
        Temperature temp = new Temperature();
        init.setInstancesForObject(LwM2mId.DEVICE, device);
        init.setInstancesForObject(3303, temp);

        DefaultRegistrationEngineFactory engine = new DefaultRegistrationEngineFactory();
        engine.setRequestTimeoutInMs(Long.parseLong(a.getOrDefault("--timeout", "30")) * 1000);
        engine.setRetryWaitingTimeInMs(Integer.parseInt(a.getOrDefault("--retry", "10")) * 1000);
        engine.setDeregistrationTimeoutInMs(5000);

        final X509Certificate caF = ca;
        final boolean trustAllF = trustAll, lwm2m10 = ver.equals("1.0");
        // Rewrites lwm2m=1.1 to lwm2m=1.0 in the Register query: M4 always announces Version.lastSupported().
        MessageInterceptorAdapter versionRewriter = new MessageInterceptorAdapter() {
            @Override public void sendRequest(Request r) {
                List<String> q = new ArrayList<>(r.getOptions().getUriQuery());
                if (!q.contains("lwm2m=1.1"))
                    return;
                r.getOptions().clearUriQuery();
                for (String s : q)
                    r.getOptions().addUriQuery(s.equals("lwm2m=1.1") ? "lwm2m=1.0" : s);
            }
        };
        DefaultEndpointFactory endpoints = new DefaultEndpointFactory("LWM2M Client", true) {
            @Override public CoapEndpoint createUnsecuredEndpoint(InetSocketAddress addr, NetworkConfig cfg, ObservationStore st) {
                CoapEndpoint e = super.createUnsecuredEndpoint(addr, cfg, st);
                if (lwm2m10)
                    e.addInterceptor(versionRewriter);
                return e;
            }

            @Override public CoapEndpoint createSecuredEndpoint(DtlsConnectorConfig dtls, NetworkConfig cfg, ObservationStore st) {
                if (trustAllF || (caF != null && skipName)) {
                    StaticNewAdvancedCertificateVerifier.Builder v = StaticNewAdvancedCertificateVerifier.builder();
                    if (trustAllF)
                        v.setTrustAllCertificates();
                    else
                        v.setTrustedCertificates(caF); // PKIX to the CA only, no server-name check
                    dtls = new DtlsConnectorConfig.Builder(dtls).setAdvancedCertificateVerifier(v.build()).build();
                }
                CoapEndpoint e = super.createSecuredEndpoint(dtls, cfg, st);
                if (lwm2m10)
                    e.addInterceptor(versionRewriter);
                return e;
            }
        };

        LeshanClientBuilder builder = new LeshanClientBuilder(ep);
        builder.setObjects(init.createAll());
        builder.setRegistrationEngineFactory(engine);
        builder.setEndpointFactory(endpoints);
        // DTLS client role only: Scandium otherwise demands a certificate usable as a server (serverAuth EKU) too,
        // and the gateway never initiates handshakes towards devices.
        builder.setDtlsConfig(new DtlsConnectorConfig.Builder().setClientOnly());
        builder.setLocalAddress(null, Integer.parseInt(a.getOrDefault("--local-port", "0")));
        LeshanClient client = builder.build();

        client.addObserver(new LwM2mClientObserverAdapter() {
            @Override public void onRegistrationSuccess(ServerIdentity s, RegisterRequest r, String id) { out("REGISTERED " + id); }
            @Override public void onRegistrationFailure(ServerIdentity s, RegisterRequest r, ResponseCode c, String m, Exception e) {
                out("REGISTRATION_FAILED " + code(c) + " " + msg(m, e)); }
            @Override public void onRegistrationTimeout(ServerIdentity s, RegisterRequest r) { out("REGISTRATION_TIMEOUT"); }
            @Override public void onUpdateSuccess(ServerIdentity s, UpdateRequest r) { out("UPDATED"); }
            @Override public void onUpdateFailure(ServerIdentity s, UpdateRequest r, ResponseCode c, String m, Exception e) {
                out("UPDATE_FAILED " + code(c) + " " + msg(m, e)); }
            @Override public void onUpdateTimeout(ServerIdentity s, UpdateRequest r) { out("UPDATE_TIMEOUT"); }
            @Override public void onDeregistrationSuccess(ServerIdentity s, DeregisterRequest r) { out("DEREGISTERED"); }
            @Override public void onDeregistrationFailure(ServerIdentity s, DeregisterRequest r, ResponseCode c, String m, Exception e) {
                out("DEREGISTRATION_FAILED " + code(c) + " " + msg(m, e)); }
            @Override public void onDeregistrationTimeout(ServerIdentity s, DeregisterRequest r) { out("DEREGISTRATION_TIMEOUT"); }
            @Override public void onUnexpectedError(Throwable t) { out("ERROR " + t); }
        });

        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "temperature");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean done = new AtomicBoolean(false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (done.compareAndSet(false, true))
                client.destroy(false); // SIGTERM: no de-registration
        }));
        try {
            client.start();
        } catch (RuntimeException e) {
            out("ERROR " + e);
            Runtime.getRuntime().halt(1);
        }
        ticker.scheduleAtFixedRate(temp::step, 1, 1, TimeUnit.SECONDS);
        out("READY");

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        boolean deregister = true; // EOF behaves like "deregister"
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.equals("update")) {
                client.triggerRegistrationUpdate();
            } else if (line.equals("deregister")) {
                break;
            } else if (line.equals("quit")) {
                deregister = false;
                break;
            } else if (!line.isEmpty()) {
                out("ERROR unknown command " + line);
            }
        }
        ticker.shutdownNow();
        if (done.compareAndSet(false, true))
            client.destroy(deregister);
        System.exit(0);
    }
}
