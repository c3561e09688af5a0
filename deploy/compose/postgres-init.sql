-- One database per service (and the gateway's), owned by the compose stack's user: no service
-- reads another's tables. Runs once, when the postgres volume is first initialised.
CREATE DATABASE billing_customers;
CREATE DATABASE billing_orders;
CREATE DATABASE billing_payments;
CREATE DATABASE billing_invoicing;
CREATE DATABASE billing_gateway;
