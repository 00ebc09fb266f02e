CREATE TABLE rooms (id INT, name STRING, PRIMARY KEY (id)) WITH (connector = 'file', path = 'rooms.csv', format = 'csv');
