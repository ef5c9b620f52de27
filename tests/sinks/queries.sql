-- SPDX-License-Identifier: Apache-2.0
-- Example queries over the tables of `zeelos sink --store postgresql` (docs/SINKS.md), one per
-- question.  psql variables: gateway, endpoint, path, e.g.
--   psql postgresql://zeelos@127.0.0.1:5442/zeelos -v gateway=edge1 -v endpoint=dev1 -f queries.sql
-- tests/sinks/test_postgres.py runs each block (from its `-- name:` line to the next) on its own.

-- name: offline_devices
-- Which devices of gateway X are offline?  (de-registered, expired, or silent for longer than
-- their lifetime: the view zeelos_endpoint_status)
SELECT endpoint
FROM zeelos_endpoint_status
WHERE gateway = :'gateway' AND status = 'offline'
ORDER BY endpoint;

-- name: temperature_sensors
-- All temperature sensors (object 3303, resource 5700 Sensor Value) and their last reading.
SELECT l.gateway, l.endpoint, l.instance_id, l.value_float AS value, r.units, l.time
FROM zeelos_latest l
JOIN zeelos_resources r ON r.object_id = l.object_id AND r.resource_id = l.resource_id
WHERE l.object_id = 3303 AND l.resource_id = 5700
ORDER BY l.gateway, l.endpoint, l.instance_id;

-- name: object_tree
-- The object tree of device Y: every object instance it registered, the resources its model
-- defines, and the last value of each (empty when never reported).
SELECT eo.object_id, o.name AS object_name, eo.instance_id, r.resource_id, r.name AS resource_name, r.type,
       l.resource_instance,
       coalesce(l.value_str, l.value_float::text, l.value_int::text, l.value_bool::text) AS last_value,
       l.time AS last_time
FROM zeelos_endpoint_objects eo
JOIN zeelos_objects o ON o.object_id = eo.object_id
JOIN zeelos_resources r ON r.object_id = eo.object_id
LEFT JOIN zeelos_latest l ON l.gateway = eo.gateway AND l.endpoint = eo.endpoint
                         AND l.object_id = eo.object_id AND l.instance_id = eo.instance_id
                         AND l.resource_id = r.resource_id
WHERE eo.gateway = :'gateway' AND eo.endpoint = :'endpoint' AND eo.instance_id IS NOT NULL
ORDER BY eo.object_id, eo.instance_id, r.resource_id, l.resource_instance;

-- name: resource_history
-- One resource over time: every reading of a path of a device, oldest first.
SELECT time, coalesce(value_float::text, value_int::text, value_bool::text, value_str) AS value
FROM zeelos_readings
WHERE gateway = :'gateway' AND endpoint = :'endpoint' AND path = :'path'
ORDER BY time;
